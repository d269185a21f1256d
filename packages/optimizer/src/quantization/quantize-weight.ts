/** Quantizes a float weight tensor to 8-bit integers, per tensor or per channel along an axis. */
import type { IntegerRange, QuantizedIntegerType, ScaleZeroPoint } from './quantization-math';
import { computeScaleZeroPoint, integerRange, minMax, quantizeValue } from './quantization-math';

/** How {@link quantizeWeight} quantizes. */
export interface WeightQuantizationSettings {
  type: QuantizedIntegerType;
  /** The channel axis for per-channel quantization; undefined for per tensor. */
  axis?: number;
  reduceRange: boolean;
  /** @default true for int8, false for uint8 (onnxruntime's defaults for weights) */
  symmetric?: boolean;
}

/** A quantized weight: integer values with one scale/zero point per group. */
export interface QuantizedWeight {
  values: Int8Array | Uint8Array;
  /** One per channel (per-channel) or one (per tensor). */
  scales: Float32Array;
  zeroPoints: Int8Array | Uint8Array;
  range: IntegerRange;
  /** The axis the scales run along, undefined per tensor. */
  axis?: number;
}

/**
 * Quantizes `values` (C order, shape `dims`). Per channel, each slice along `axis` gets its own
 * range (for a MatMul weight [K, N]: axis 1, one scale per output column; for a Conv weight
 * [M, C, kh, kw]: axis 0, one per output channel).
 *
 * @throws {RangeError} when `axis` is outside `dims`.
 */
export function quantizeWeight(values: Float32Array, dims: readonly number[], settings: WeightQuantizationSettings): QuantizedWeight {
  const symmetric = settings.symmetric ?? settings.type === 'int8';
  const range = integerRange(settings.type, settings.reduceRange, symmetric);
  const output = settings.type === 'int8' ? new Int8Array(values.length) : new Uint8Array(values.length);
  if (settings.axis === undefined) {
    const { min, max } = minMax(values);
    const parameters = computeScaleZeroPoint(min, max, range, symmetric);
    for (let index = 0; index < values.length; index += 1) output[index] = quantizeValue(values[index]!, parameters, range);
    return { values: output, scales: Float32Array.of(parameters.scale), zeroPoints: zeroPointArray(settings.type, [parameters.zeroPoint]), range };
  }
  const axis = settings.axis;
  if (!Number.isInteger(axis) || axis < 0 || axis >= dims.length) throw new RangeError(`quantizeWeight: axis ${axis} is outside a tensor of rank ${dims.length}.`);
  const channels = dims[axis]!;
  let inner = 1;
  for (let index = axis + 1; index < dims.length; index += 1) inner *= dims[index]!;
  const outer = channels * inner === 0 ? 0 : values.length / (channels * inner);
  const parameters: ScaleZeroPoint[] = [];
  for (let channel = 0; channel < channels; channel += 1) {
    let min = Infinity;
    let max = -Infinity;
    for (let block = 0; block < outer; block += 1) {
      const start = (block * channels + channel) * inner;
      const found = minMax(values, start, start + inner);
      if (found.min < min) min = found.min;
      if (found.max > max) max = found.max;
    }
    parameters.push(computeScaleZeroPoint(min === Infinity ? 0 : min, max === -Infinity ? 0 : max, range, symmetric));
  }
  for (let index = 0; index < values.length; index += 1) {
    const channel = Math.floor(index / inner) % channels;
    output[index] = quantizeValue(values[index]!, parameters[channel]!, range);
  }
  return {
    values: output,
    scales: Float32Array.from(parameters, (entry) => entry.scale),
    zeroPoints: zeroPointArray(settings.type, parameters.map((entry) => entry.zeroPoint)),
    range,
    axis,
  };
}

function zeroPointArray(type: QuantizedIntegerType, values: number[]): Int8Array | Uint8Array {
  return type === 'int8' ? Int8Array.from(values) : Uint8Array.from(values);
}

/** Dequantizes (for error measurements): `(q - zeroPoint) * scale`. */
export function dequantizeWeight(weight: QuantizedWeight, dims: readonly number[]): Float32Array {
  const result = new Float32Array(weight.values.length);
  let inner = 1;
  if (weight.axis !== undefined) for (let index = weight.axis + 1; index < dims.length; index += 1) inner *= dims[index]!;
  const channels = weight.axis === undefined ? 1 : dims[weight.axis]!;
  for (let index = 0; index < result.length; index += 1) {
    const group = weight.axis === undefined ? 0 : Math.floor(index / inner) % channels;
    result[index] = (weight.values[index]! - weight.zeroPoints[group]!) * weight.scales[group]!;
  }
  return result;
}
