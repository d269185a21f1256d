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
  for (let index = 0; index < bits.length; index += 1) {
    result[index] = halfToNumber(bits[index] as number);
  }
  return result;
}

/**
 * Narrows numbers to IEEE 754 half-precision bit patterns (round to nearest even), the inverse of
 * {@link float16ToFloat32}.
 */
export function float32ToFloat16(values: ArrayLike<number>): Uint16Array {
  const result = new Uint16Array(values.length);
  const scratch = new Float32Array(1);
  const scratchBits = new Uint32Array(scratch.buffer);
  for (let index = 0; index < values.length; index += 1) {
    scratch[0] = values[index] as number;
    result[index] = floatBitsToHalf(scratchBits[0] as number);
  }
  return result;
}

/** Widens a `bfloat16` bit pattern array to `Float32Array`. */
export function bfloat16ToFloat32(bits: Uint16Array): Float32Array {
  const words = new Uint32Array(bits.length);
  for (let index = 0; index < bits.length; index += 1) words[index] = (bits[index] as number) << 16;
  return new Float32Array(words.buffer);
}

function halfToNumber(half: number): number {
  const sign = half & 0x8000 ? -1 : 1;
  const exponent = (half >> 10) & 0x1f;
  const fraction = half & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : Number.NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

function floatBitsToHalf(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  let mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa !== 0 ? 0x200 : 0);
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  if (halfExponent <= 0) {
    if (halfExponent < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - halfExponent;
    const halfMantissa = mantissa >> shift;
    const remainder = mantissa & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    const rounded = remainder > halfway || (remainder === halfway && (halfMantissa & 1) === 1) ? halfMantissa + 1 : halfMantissa;
    return sign | rounded;
  }
  const halfMantissa = mantissa >> 13;
  const remainder = mantissa & 0x1fff;
  let result = sign | (halfExponent << 10) | halfMantissa;
  if (remainder > 0x1000 || (remainder === 0x1000 && (halfMantissa & 1) === 1)) result += 1;
  return result;
}
