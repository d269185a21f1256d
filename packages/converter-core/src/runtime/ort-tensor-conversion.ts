import type { Tensor as OrtTensor } from 'onnxruntime-node';
import type { TensorElementType } from '../adapter';
import type { HostTensor, TensorData } from '../tensor/host-tensor';
import { loadOnnxRuntime } from './load-onnx-runtime';

/** Wraps a {@link HostTensor} as an onnxruntime-node tensor (no copy). */
export function hostTensorToOrt(tensor: HostTensor): OrtTensor {
  const ort = loadOnnxRuntime();
  if (tensor.dtype === 'bfloat16' || tensor.dtype === 'string') {
    throw new TypeError(`Parameter "tensor.dtype" ${tensor.dtype} cannot be fed to onnxruntime-node from validation inputs.`);
  }
  return new ort.Tensor(tensor.dtype as 'float32', tensor.data as Float32Array, tensor.shape);
}

/**
 * Copies an onnxruntime-node output tensor into a {@link HostTensor}.
 *
 * @throws TypeError for string tensors.
 */
export function ortTensorToHost(tensor: OrtTensor): HostTensor {
  if (tensor.type === 'string') throw new TypeError('String outputs cannot be compared numerically.');
  return { dtype: tensor.type as TensorElementType, shape: tensor.dims.map(Number), data: tensor.data as TensorData };
}
