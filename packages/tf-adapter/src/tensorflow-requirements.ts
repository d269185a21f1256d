import path from 'node:path';

import type { PythonRequirementSet } from '@gpux/converter-core';
import { resolvePackageDirectory } from '@gpux/converter-core';

/** The root of this package (works from `src/` under jest and from `dist/` when installed). */
export function tensorflowAdapterDirectory(): string {
  return resolvePackageDirectory(__dirname, '@gpux/tf-adapter');
}

/**
 * The pinned Python requirement set of the TensorFlow adapter (tensorflow-cpu, keras, tf2onnx, onnx,
 * numpy). converter-core's `ensurePythonEnvironment` builds a managed environment from it, or uses
 * `GPUX_PYTHON` / `python.pythonExecutable` when set.
 *
 * @example
 * ```ts
 * import { ensurePythonEnvironment } from '@gpux/converter-core';
 * const { pythonExecutable } = await ensurePythonEnvironment(tensorflowRequirements);
 * ```
 */
export const tensorflowRequirements: PythonRequirementSet = {
  name: 'tensorflow',
  requirementsFile: path.join(tensorflowAdapterDirectory(), 'python', 'requirements.txt'),
};

/** Absolute path of the conversion script that ships in this package's `python/` folder. */
export function tensorflowScriptPath(): string {
  return path.join(tensorflowAdapterDirectory(), 'python', 'convert_model.py');
}
