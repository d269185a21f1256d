import { bfloat16BitsToFloat32, float16BitsToFloat32, float32ToFloat16Bits } from '@gpux/onnx';

/**
 * Widens IEEE 754 half-precision bit patterns (as stored in a `float16` {@link HostTensor}) to
 * `Float32Array`. Subnormals, infinities and NaN are kept.
 *
 * @example
 * ```ts
 * const tensor = await readNpy('logits.npy'); // dtype 'float16'
 * const values = float16ToFloat32(tensor.data as Uint16Array);
 * ```
 */
export function float16ToFloat32(bits: Uint16Array): Float32Array {
  const result = new Float32Array(bits.length);
  for (let index = 0; index < bits.length; index += 1) result[index] = float16BitsToFloat32(bits[index]!);
  return result;
}

/**
 * Narrows numbers to IEEE 754 half-precision bit patterns (round to nearest even), the inverse of
 * {@link float16ToFloat32}.
 */
export function float32ToFloat16(values: ArrayLike<number>): Uint16Array {
  const result = new Uint16Array(values.length);
  for (let index = 0; index < values.length; index += 1) result[index] = float32ToFloat16Bits(values[index]!);
  return result;
}

/** Widens a `bfloat16` bit pattern array to `Float32Array`. */
export function bfloat16ToFloat32(bits: Uint16Array): Float32Array {
  const result = new Float32Array(bits.length);
  for (let index = 0; index < bits.length; index += 1) result[index] = bfloat16BitsToFloat32(bits[index]!);
  return result;
}
