import { stat } from 'node:fs/promises';
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

/**
 * The second requirement set of the TensorFlow adapter, used only for Hugging Face folders whose
 * weights are `tf_model.h5`: transformers 4.57 (the last release with TF model classes) on tf-keras
 * (Keras 2 API) and the `tensorflow` distribution that tf-keras requires, plus tf2onnx.
 *
 * @example
 * ```ts
 * import { ensurePythonEnvironment } from '@gpux/converter-core';
 * await ensurePythonEnvironment(tensorflowTransformersRequirements); // gpux-convert setup tensorflow-transformers
 * ```
 */
export const tensorflowTransformersRequirements: PythonRequirementSet = {
  name: 'tensorflow-transformers',
  requirementsFile: path.join(tensorflowAdapterDirectory(), 'python', 'requirements-transformers.txt'),
};

async function isFile(filePath: string): Promise<boolean> {
  return stat(filePath).then(
    (info) => info.isFile(),
    () => false,
  );
}

/**
 * The requirement set that converts `sourcePath` of `format`: {@link tensorflowTransformersRequirements}
 * for a Hugging Face folder without a `saved_model/` (its weights are `tf_model.h5`), else
 * {@link tensorflowRequirements}.
 */
export async function requirementSetForSource(format: string, sourcePath: string): Promise<PythonRequirementSet> {
  if (format !== 'hf-tensorflow') return tensorflowRequirements;
  for (const candidate of [path.join(sourcePath, 'saved_model', '1'), path.join(sourcePath, 'saved_model')]) {
    if (await isFile(path.join(candidate, 'saved_model.pb'))) return tensorflowRequirements;
  }
  return tensorflowTransformersRequirements;
}

/** Absolute path of the conversion script that ships in this package's `python/` folder. */
export function tensorflowScriptPath(): string {
  return path.join(tensorflowAdapterDirectory(), 'python', 'convert_model.py');
}
