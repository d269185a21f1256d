/**
 * Quantization arithmetic shared by every mode: integer ranges, scale and zero point from a real
 * range, and rounding. The rules follow onnxruntime's quantizer (facts from
 * onnxruntime/python/tools/quantization/quant_utils.py): the real range always contains 0; a
 * symmetric int8 range is [-127, 127]; `reduceRange` uses 7 bits ([-64, 64] for int8, [0, 127] for
 * uint8); values are rounded half to even, as numpy does.
 */

/** The 8-bit integer type of quantized weights. */
export type QuantizedIntegerType = 'int8' | 'uint8';

/** An inclusive integer range. */
export interface IntegerRange {
  min: number;
  max: number;
}

/** Scale and zero point of one quantization group (a tensor or one channel). */
export interface ScaleZeroPoint {
  scale: number;
  zeroPoint: number;
}

/**
 * The integer range of a type.
 *
 * @param symmetric - int8 only: use [-127, 127] so that 0 maps to 0 and the range is balanced.
 */
export function integerRange(type: QuantizedIntegerType, reduceRange: boolean, symmetric: boolean): IntegerRange {
  if (reduceRange) return type === 'int8' ? { min: -64, max: 64 } : { min: 0, max: 127 };
  if (type === 'int8') return symmetric ? { min: -127, max: 127 } : { min: -128, max: 127 };
  return { min: 0, max: 255 };
}

/** Rounds half to even (numpy's `round`): 0.5 -> 0, 1.5 -> 2, -2.5 -> -2. */
export function roundHalfToEven(value: number): number {
  const floor = Math.floor(value);
  const difference = value - floor;
  if (difference < 0.5) return floor;
  if (difference > 0.5) return floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
}

const FLOAT32_TINY = 1.1754943508222875e-38;

/**
 * Scale and zero point for the real range [rmin, rmax] (widened to contain 0) on an integer range.
 * Symmetric ranges use `absmax` on both sides; their zero point is the range's middle (0 for int8,
 * 128 for uint8). A range too small for a float32 scale gives scale 1 and zero point 0.
 */
export function computeScaleZeroPoint(rmin: number, rmax: number, range: IntegerRange, symmetric: boolean): ScaleZeroPoint {
  let low = Math.min(rmin, 0);
  let high = Math.max(rmax, 0);
  if (symmetric) {
    const absMax = Math.max(Math.abs(low), Math.abs(high));
    low = -absMax;
    high = absMax;
  }
  const scale = Math.fround((high - low) / (range.max - range.min));
  if (!(scale >= FLOAT32_TINY) || !Number.isFinite(scale)) return { scale: 1, zeroPoint: 0 };
  const zeroPoint = symmetric ? roundHalfToEven((range.min + range.max) / 2) : clamp(roundHalfToEven(range.min - low / scale), range.min, range.max);
  return { scale, zeroPoint };
}

/** Clamps to [min, max]. */
export function clamp(value: number, min: number, max: number): number {
  return value < min ? min : value > max ? max : value;
}

/**
 * Quantizes one value: `clamp(round(value / scale) + zeroPoint)`. The quotient is rounded to float32
 * first, as numpy divides float32 arrays in onnxruntime's quantizer, so .5 edges round the same way.
 */
export function quantizeValue(value: number, parameters: ScaleZeroPoint, range: IntegerRange): number {
  return clamp(roundHalfToEven(Math.fround(value / parameters.scale)) + parameters.zeroPoint, range.min, range.max);
}

/** Min and max of the values (0 and 0 for none; NaN is skipped). */
export function minMax(values: ArrayLike<number>, start = 0, end = values.length, stride = 1): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let index = start; index < end; index += stride) {
    const value = values[index]!;
    if (value < min) min = value;
    if (value > max) max = value;
  }
  return min === Infinity ? { min: 0, max: 0 } : { min, max };
}
