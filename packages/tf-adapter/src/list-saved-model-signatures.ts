import path from 'node:path';

import type { PythonSettings } from '@gpux/converter-core';
import { ensurePythonEnvironment, runPythonScript } from '@gpux/converter-core';

import { tensorflowRequirements, tensorflowScriptPath } from './tensorflow-requirements';

/** One tensor of a SavedModel signature; `-1` marks a dynamic dim. */
export interface SignatureTensor {
  name: string;
  dtype: string;
  shape: number[];
}

/** A SavedModel signature's inputs and outputs. */
export interface SavedModelSignature {
  name: string;
  inputs: SignatureTensor[];
  outputs: SignatureTensor[];
}

/** Options of {@link listSavedModelSignatures}. */
export interface ListSavedModelSignaturesOptions {
  python?: PythonSettings;
  /** SavedModel tags to load. */
  tags?: string[];
  signal?: AbortSignal;
}

/**
 * Lists the signatures of a SavedModel (what `adapterOptions.signature` can choose), by loading it
 * in the adapter's Python environment.
 *
 * @throws TypeError when `savedModelDirectory` is not an absolute path; ConversionError
 * `INVALID_MODEL_FILE` when it is not a SavedModel.
 * @example
 * ```ts
 * const signatures = await listSavedModelSignatures('/models/scorer');
 * console.log(signatures.map((signature) => signature.name)); // ['serving_default', ...]
 * ```
 */
export async function listSavedModelSignatures(savedModelDirectory: string, options: ListSavedModelSignaturesOptions = {}): Promise<SavedModelSignature[]> {
  if (typeof savedModelDirectory !== 'string' || !path.isAbsolute(savedModelDirectory)) {
    throw new TypeError(`savedModelDirectory must be an absolute path, received ${JSON.stringify(savedModelDirectory)}`);
  }
  const environment = await ensurePythonEnvironment(tensorflowRequirements, { ...options.python, signal: options.signal });
  const { result } = await runPythonScript<{ signatures: SavedModelSignature[] }>({
    pythonExecutable: environment.pythonExecutable,
    scriptPath: tensorflowScriptPath(),
    request: { mode: 'list-signatures', sourcePath: savedModelDirectory, options: { tags: options.tags } },
    timeoutMs: options.python?.timeoutMs,
    signal: options.signal,
    phase: 'detect',
    requirementSetName: tensorflowRequirements.name,
  });
  return result.signatures;
}
