import type { ConverterAdapter } from '@gpux/converter-core';
import { createPytorchAdapter } from '@gpux/pytorch-adapter';
import { createTensorflowAdapter } from '@gpux/tf-adapter';
import { onnxSourceAdapter } from './onnx-source-adapter';

/** The adapters `convert` asks, in order: ONNX passthrough, PyTorch, TensorFlow. */
export function createAdapters(): ConverterAdapter[] {
  // The ONNX adapter comes last: a directory holding both weights and ONNX files is exported from
  // its framework (validated against it); `--framework onnx` takes its ONNX files instead.
  return [createPytorchAdapter(), createTensorflowAdapter(), onnxSourceAdapter];
}
