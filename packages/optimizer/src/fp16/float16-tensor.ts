/**
 * float32 -> float16 conversion of one tensor, streamed: the float32 values are read in chunks
 * (external data straight from its file), so only the float16 result is ever held whole.
 */
import type { TensorProto } from '@gpux/onnx';
import { DataType, createTensor, externalDataInfo, isExternalTensor, readExternalTensorBytesSync, tensorElementCount, tensorToTypedArray } from '@gpux/onnx';

/** Elements per chunk: 4 Mi float32 values = 16 MiB. */
const CHUNK_ELEMENTS = 4 * 1024 * 1024;

/** How {@link toFloat16Tensor} treats values outside float16's range. */
export interface Float16Clamp {
  /** Non-zero magnitudes below this are raised to it. */
  minPositive: number;
  /** Finite magnitudes above this are lowered to it. */
  maxFinite: number;
}

/**
 * Calls `visit` with consecutive float32 chunks of a tensor's values (`start` is the index of the
 * chunk's first value). External data is read from disk chunk by chunk; raw_data is copied chunk by
 * chunk into an aligned scratch buffer; float_data is passed as views. The chunks are reused or
 * dropped after `visit` returns: do not keep them.
 *
 * @throws {ConversionError} INVALID_MODEL_FILE when external data is missing or too short.
 */
export function forEachFloat32Chunk(tensor: TensorProto, baseDirectory: string | undefined, visit: (values: Float32Array, start: number) => void, chunkElements = CHUNK_ELEMENTS): void {
  const count = tensorElementCount(tensor);
  if (isExternalTensor(tensor)) {
    const info = externalDataInfo(tensor);
    const others = tensor.externalData.filter((entry) => entry.key !== 'offset' && entry.key !== 'length');
    for (let start = 0; start < count; start += chunkElements) {
      const length = Math.min(chunkElements, count - start);
      // A window onto the same file (the copy keeps the recorded folder): readExternalTensorBytesSync checks the path and the file's size.
      const window: TensorProto = {
        ...tensor,
        dims: [length],
        externalData: [...others, { key: 'offset', value: String(info.offset + start * 4) }, { key: 'length', value: String(length * 4) }],
      };
      const bytes = readExternalTensorBytesSync(window, baseDirectory);
      visit(new Float32Array(bytes.buffer, bytes.byteOffset, length), start);
    }
    return;
  }
  const raw = tensor.rawData;
  if (raw !== undefined && raw.byteLength > 0) {
    // raw_data decoded by protobufjs is a view into the file buffer: read it in place when it is
    // 4-byte aligned, through a copy when not (a Float32Array cannot start at an odd offset).
    const aligned = raw.byteOffset % 4 === 0;
    const scratch = aligned ? undefined : new Uint8Array(Math.min(count, chunkElements) * 4);
    for (let start = 0; start < count; start += chunkElements) {
      const length = Math.min(chunkElements, count - start);
      if (scratch === undefined) {
        visit(new Float32Array(raw.buffer, raw.byteOffset + start * 4, length), start);
        continue;
      }
      scratch.set(raw.subarray(start * 4, (start + length) * 4));
      visit(new Float32Array(scratch.buffer, 0, length), start);
    }
    return;
  }
  const values = tensor.floatData.length > 0 ? tensor.floatData : (tensorToTypedArray(tensor) as Float32Array);
  for (let start = 0; start < values.length; start += chunkElements) visit(values.subarray(start, start + chunkElements), start);
}

const scratchFloat = new Float32Array(1);
const scratchBits = new Uint32Array(scratchFloat.buffer);

function float32Bits(value: number): number {
  scratchFloat[0] = value;
  return scratchBits[0]!;
}

/** The clamp as float32 bit patterns of magnitudes: `[low, high)` is left alone, outside it becomes `lowValue` / `highValue`. */
interface ClampLimits {
  /** Smallest float32 magnitude (as bits) that is not below minPositive. */
  low: number;
  lowValue: number;
  /** Largest float32 magnitude (as bits) that is not above maxFinite. */
  high: number;
  highValue: number;
}

function clampLimits({ minPositive, maxFinite }: Float16Clamp): ClampLimits {
  const lowValue = float32Bits(minPositive);
  const highValue = float32Bits(maxFinite);
  return { low: Math.fround(minPositive) < minPositive ? lowValue + 1 : lowValue, lowValue, high: Math.fround(maxFinite) > maxFinite ? highValue - 1 : highValue, highValue };
}

/**
 * Converts one chunk into `output` from `offset`, working on the float32 bit patterns (no call per
 * value): clamps magnitudes as {@link toFloat16Tensor} says, rounds to nearest even, keeps NaN and
 * infinities. Returns how many values the clamping changed.
 */
function convertChunk(values: Float32Array, output: Uint16Array, offset: number, limits: ClampLimits): number {
  // Int32 words keep every value a small integer for the JIT (Uint32 values above 2^31 would be doubles).
  const words = new Int32Array(values.buffer, values.byteOffset, values.length);
  const { low, lowValue, high, highValue } = limits;
  let clamped = 0;
  for (let index = 0; index < words.length; index += 1) {
    const word = words[index]!;
    const sign = (word >>> 16) & 0x8000;
    let magnitude = word & 0x7fffffff;
    if (magnitude !== 0 && magnitude < low) {
      magnitude = lowValue;
      clamped += 1;
    } else if (magnitude > high && magnitude < 0x7f800000) {
      magnitude = highValue;
      clamped += 1;
    }
    const exponent = magnitude >> 23;
    let mantissa = magnitude & 0x7fffff;
    let half: number;
    if (exponent === 0xff) {
      half = 0x7c00 | (mantissa === 0 ? 0 : 0x200);
    } else if (exponent >= 143) {
      half = 0x7c00;
    } else if (exponent <= 112) {
      // Subnormal float16 (or zero): exponent - 112 is the float16 exponent, <= 0 here.
      if (exponent < 102) {
        half = 0;
      } else {
        mantissa |= 0x800000;
        const shift = 126 - exponent;
        half = mantissa >> shift;
        const remainder = mantissa & ((1 << shift) - 1);
        const halfway = 1 << (shift - 1);
        if (remainder > halfway || (remainder === halfway && (half & 1) === 1)) half += 1;
      }
    } else {
      // Normal: rebias the exponent (127 -> 15) and round half to even without a branch (a rounding
      // branch is a coin flip on real weights and was most of the time); a carry rounds 65520+ to infinity.
      half = (magnitude - 0x38000000 + 0xfff + ((magnitude >> 13) & 1)) >> 13;
    }
    output[offset + index] = sign | half;
  }
  return clamped;
}

/**
 * A float16 copy of a float32 tensor (same name, dims and doc string; data in raw_data). Values
 * are clamped into `[minPositive, maxFinite]` in magnitude (zero, infinities and NaN unchanged)
 * and rounded to nearest even.
 *
 * @returns the new tensor and how many values the clamping changed.
 * @throws {ConversionError} INVALID_MODEL_FILE when external data is missing or too short.
 */
export function toFloat16Tensor(tensor: TensorProto, clamp: Float16Clamp, baseDirectory?: string): { tensor: TensorProto; valuesClamped: number } {
  const bits = new Uint16Array(tensorElementCount(tensor));
  let valuesClamped = 0;
  const limits = clampLimits(clamp);
  forEachFloat32Chunk(tensor, baseDirectory, (values, start) => {
    valuesClamped += convertChunk(values instanceof Float32Array ? values : Float32Array.from(values), bits, start, limits);
  });
  const converted = createTensor(tensor.name ?? '', DataType.FLOAT16, tensor.dims.map(Number), bits);
  if (tensor.docString !== undefined) converted.docString = tensor.docString;
  return { tensor: converted, valuesClamped };
}
