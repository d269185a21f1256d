import path from 'node:path';

import type { PythonRequirementSet } from '@gpux/converter-core';
import { resolvePackageDirectory } from '@gpux/converter-core';

/**
 * The root directory of the installed `@gpux/pytorch-adapter` package (works from `src/` and `dist/`).
 *
 * @throws ConversionError `INTERNAL_ERROR` when the package layout is broken.
 */
export function pytorchAdapterDirectory(): string {
  return resolvePackageDirectory(__dirname, '@gpux/pytorch-adapter');
}

/**
 * The pinned Python requirements of the PyTorch adapter (torch, transformers, onnx, onnxscript...),
 * for converter-core's `ensurePythonEnvironment`. The file path is resolved when first read.
 *
 * @example
 * ```ts
 * import { ensurePythonEnvironment } from '@gpux/converter-core';
 * const { pythonExecutable } = await ensurePythonEnvironment(pytorchRequirements);
 * ```
 */
export const pytorchRequirements: PythonRequirementSet = {
  name: 'pytorch',
  get requirementsFile(): string {
    return path.join(pytorchAdapterDirectory(), 'python', 'requirements.txt');
  },
};
