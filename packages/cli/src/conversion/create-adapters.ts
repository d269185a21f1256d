import type { ConverterAdapter } from '@gpux/converter-core';
import { createPytorchAdapter } from '@gpux/pytorch-adapter';
import { createTensorflowAdapter } from '@gpux/tf-adapter';
import { onnxSourceAdapter } from './onnx-source-adapter';

/** The adapters `convert` asks, in order: ONNX passthrough, PyTorch, TensorFlow. */
export function createAdapters(): ConverterAdapter[] {
  return [onnxSourceAdapter, createPytorchAdapter(), createTensorflowAdapter()];
}
