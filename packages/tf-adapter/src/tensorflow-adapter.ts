import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';

import type {
  ConverterAdapter,
  DetectionResult,
  ExportRequest,
  ExportResult,
  ModelSource,
  ProgressEvent,
  PythonSettings,
} from '@gpux/converter-core';
import { ADAPTER_SPECIFICATION_VERSION, ensurePythonEnvironmentIter, runPythonScriptIter } from '@gpux/converter-core';

import { detectTensorflowSource } from './detect-tensorflow-source';
import { normalizeTensorflowAdapterOptions, type TensorflowAdapterOptions } from './tensorflow-adapter-options';
import { requirementSetForSource, tensorflowScriptPath } from './tensorflow-requirements';

/** Options of {@link createTensorflowAdapter}. */
export interface CreateTensorflowAdapterOptions {
  /** Defaults merged under each request's `adapterOptions`. */
  defaults?: TensorflowAdapterOptions;
  /** Interpreter settings used when a request carries none. */
  python?: PythonSettings;
}

/** What the Python side returns on top of {@link ExportResult}. */
interface PythonExportResult extends Omit<ExportResult, 'peakRssBytes'> {
  unsupportedOperators?: Record<string, number>;
}

/** Where the Python side reads the model: TF.js folders resolve to their model.json, `saved_model.pb` to its folder. */
async function resolveSourcePath(source: ModelSource, detection: DetectionResult): Promise<string> {
  const info = await stat(source.path);
  if (detection.format === 'tfjs' && info.isDirectory()) return path.join(source.path, 'model.json');
  if (detection.format === 'tf-savedmodel' && !info.isDirectory()) return path.dirname(source.path);
  return source.path;
}

function validateRequest(request: ExportRequest): void {
  if (typeof request !== 'object' || request === null) throw new TypeError(`request must be an object, received ${String(request)}`);
  for (const key of ['outputDirectory', 'workDirectory'] as const) {
    if (typeof request[key] !== 'string' || !path.isAbsolute(request[key])) {
      throw new TypeError(`request.${key} must be an absolute path, received ${JSON.stringify(request[key])}`);
    }
  }
  if (request.detection?.framework !== 'tensorflow') {
    throw new TypeError(`request.detection must come from the TensorFlow adapter, received framework ${JSON.stringify(request.detection?.framework)}`);
  }
  const count = request.referenceCaseCount;
  if (count !== undefined && !(Number.isInteger(count) && count >= 0)) {
    throw new RangeError(`request.referenceCaseCount must be a non-negative integer, received ${String(count)}`);
  }
}

/**
 * Creates the TensorFlow adapter: tf2onnx, run in the adapter's own managed Python environment,
 * for SavedModels, Keras (`.keras`, `.h5`), frozen graphs, TFLite and TF.js graph and layers models. The
 * export writes `model.onnx` into `outputDirectory` and reference inputs/outputs (from TensorFlow,
 * at two batch sizes where the batch is dynamic) into `workDirectory`.
 *
 * @throws (from `export`) ConversionError `INVALID_MODEL_FILE` (not a SavedModel, truncated file,
 * missing TF.js shards), `UNSUPPORTED_OPERATOR` (every op tf2onnx cannot convert, with counts, in
 * `details.operators`), `UNSUPPORTED_ARCHITECTURE` (Keras custom layer without its code),
 * `TRUST_REMOTE_CODE_REQUIRED`, and the Python bridge's codes (`PYTHON_NOT_FOUND`, `TIMEOUT`, `CANCELLED`, ...).
 * @example
 * ```ts
 * const adapter = createTensorflowAdapter({ defaults: { opset: 17 } });
 * const detection = await adapter.detect({ path: '/models/model.keras', kind: 'file' });
 * ```
 */
export function createTensorflowAdapter(options: CreateTensorflowAdapterOptions = {}): ConverterAdapter {
  const defaults = normalizeTensorflowAdapterOptions(options.defaults as Record<string, unknown> | undefined);
  return {
    specificationVersion: ADAPTER_SPECIFICATION_VERSION,
    name: 'tensorflow',
    framework: 'tensorflow',
    detect: (source) => detectTensorflowSource(source),
    export: (request) => exportTensorflowModel(request, defaults, options.python),
  };
}

async function* exportTensorflowModel(
  request: ExportRequest,
  defaults: TensorflowAdapterOptions,
  python: PythonSettings | undefined,
): AsyncGenerator<ProgressEvent, ExportResult, void> {
  validateRequest(request);
  const adapterOptions = { ...defaults, ...normalizeTensorflowAdapterOptions(request.adapterOptions) };
  const settings = { ...python, ...request.python };
  const sourcePath = await resolveSourcePath(request.source, request.detection);
  const requirements = await requirementSetForSource(request.detection.format, sourcePath);
  const environment = yield* ensurePythonEnvironmentIter(requirements, { ...settings, signal: request.signal });
  // TensorFlow's autograph writes generated modules to the temp folder and leaves them there:
  // point it at the work directory, which the pipeline removes.
  await mkdir(request.workDirectory, { recursive: true });
  const iterator = runPythonScriptIter<PythonExportResult>({
    pythonExecutable: environment.pythonExecutable,
    scriptPath: tensorflowScriptPath(),
    env: { TMPDIR: request.workDirectory },
    request: {
      mode: 'export',
      sourcePath,
      format: request.detection.format,
      outputDirectory: request.outputDirectory,
      workDirectory: request.workDirectory,
      opset: request.opset ?? adapterOptions.opset,
      task: request.task,
      referenceCaseCount: request.referenceCaseCount ?? 2,
      staticShapes: request.staticShapes,
      trustRemoteCode: request.trustRemoteCode ?? false,
      options: adapterOptions,
    },
    timeoutMs: settings.timeoutMs,
    signal: request.signal,
    phase: 'export',
    requirementSetName: requirements.name,
    workers: request.pythonWorkers,
  });
  const { result, peakRssBytes } = yield* iterator;
  const { unsupportedOperators, ...exported } = result;
  const notes = [...exported.notes];
  if (unsupportedOperators !== undefined && Object.keys(unsupportedOperators).length > 0 && !notes.some((note) => note.includes('custom ops'))) {
    notes.push(`Unsupported operators: ${JSON.stringify(unsupportedOperators)}`);
  }
  const output: ExportResult = {
    ...exported,
    architecture: exported.architecture ?? request.detection.architecture,
    notes,
  };
  if (output.architecture === undefined || output.architecture === null) delete output.architecture;
  if (peakRssBytes !== undefined) output.peakRssBytes = peakRssBytes;
  return output;
}

/**
 * The TensorFlow adapter with default settings.
 *
 * @example
 * ```ts
 * import { tensorflowAdapter } from '@gpux/tf-adapter';
 * const detection = await tensorflowAdapter.detect({ path: './saved_model', kind: 'directory' });
 * ```
 */
export const tensorflowAdapter: ConverterAdapter = createTensorflowAdapter();
