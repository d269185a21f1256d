import type { TensorTypedArray } from '@gpux/onnx';
import type { TensorElementType } from '../adapter';

/** Typed arrays that hold tensor elements in {@link HostTensor.data} (the same set as `@gpux/onnx`'s `TensorTypedArray`). */
export type TensorData = TensorTypedArray;

/**
 * A dense, C-ordered tensor in JavaScript memory.
 *
 * `data` uses the typed array onnxruntime-node expects for `dtype`: `float16` (and `bfloat16`)
 * elements are raw 16-bit patterns in a `Uint16Array` (widen them with {@link float16ToFloat32}),
 * `bool` elements are 0/1 bytes in a `Uint8Array`, and 64-bit integers are `BigInt64Array` /
 * `BigUint64Array`.
 */
export interface HostTensor {
  dtype: TensorElementType;
  shape: number[];
  data: TensorData;
}

/** Bytes per element of each element type that a {@link HostTensor} can hold. */
export const TENSOR_ELEMENT_BYTES: Readonly<Partial<Record<TensorElementType, number>>> = {
  float32: 4,
  float16: 2,
  bfloat16: 2,
  float64: 8,
  int8: 1,
  uint8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  int64: 8,
  uint64: 8,
  bool: 1,
};

/**
 * Allocates a zero-filled typed array of the kind {@link HostTensor} uses for `dtype`.
 *
 * @throws TypeError when `dtype` is `string` (not a numeric tensor).
 */
export function allocateTensorData(dtype: TensorElementType, length: number): TensorData {
  switch (dtype) {
    case 'float32':
      return new Float32Array(length);
    case 'float64':
      return new Float64Array(length);
    case 'float16':
    case 'bfloat16':
    case 'uint16':
      return new Uint16Array(length);
    case 'int8':
      return new Int8Array(length);
    case 'uint8':
    case 'bool':
      return new Uint8Array(length);
    case 'int16':
      return new Int16Array(length);
    case 'int32':
      return new Int32Array(length);
    case 'uint32':
      return new Uint32Array(length);
    case 'int64':
      return new BigInt64Array(length);
    case 'uint64':
      return new BigUint64Array(length);
    default:
      throw new TypeError(`Parameter "dtype" must be a numeric element type, received ${JSON.stringify(dtype)}.`);
  }
}

/** Number of elements of a shape (1 for a scalar). */
export function shapeElementCount(shape: readonly number[]): number {
  let count = 1;
  for (const dimension of shape) count *= dimension;
  return count;
}
