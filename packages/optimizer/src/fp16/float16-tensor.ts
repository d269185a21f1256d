/**
 * float32 -> float16 conversion of one tensor, streamed: the float32 values are read in chunks
 * (external data straight from its file), so only the float16 result is ever held whole.
 */
import type { TensorProto } from '@gpux/converter-core';
import { DataType, createTensor, externalDataInfo, float32ToFloat16Bits, isExternalTensor, readExternalTensorBytes, tensorElementCount, tensorToTypedArray } from '@gpux/converter-core';

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
      // A window onto the same file: readExternalTensorBytes checks the path and the file's size.
      const window: TensorProto = {
        ...tensor,
        dims: [length],
        externalData: [...others, { key: 'offset', value: String(info.offset + start * 4) }, { key: 'length', value: String(length * 4) }],
      };
      const bytes = readExternalTensorBytes(window, baseDirectory);
      visit(new Float32Array(bytes.buffer, bytes.byteOffset, length), start);
    }
    return;
  }
  const raw = tensor.rawData;
  if (raw !== undefined && raw.byteLength > 0) {
    const scratch = new Uint8Array(Math.min(count, chunkElements) * 4);
    for (let start = 0; start < count; start += chunkElements) {
      const length = Math.min(chunkElements, count - start);
      scratch.set(raw.subarray(start * 4, (start + length) * 4));
      visit(new Float32Array(scratch.buffer, 0, length), start);
    }
    return;
  }
  const values = tensor.floatData.length > 0 ? tensor.floatData : (tensorToTypedArray(tensor) as Float32Array);
  for (let start = 0; start < values.length; start += chunkElements) visit(values.subarray(start, start + chunkElements), start);
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
  const { minPositive, maxFinite } = clamp;
  forEachFloat32Chunk(tensor, baseDirectory, (values, start) => {
    for (let index = 0; index < values.length; index += 1) {
      const value = values[index]!;
      const magnitude = Math.abs(value);
      let result = value;
      if (magnitude > 0 && magnitude < minPositive) result = Math.sign(value) * minPositive;
      else if (magnitude > maxFinite && magnitude !== Number.POSITIVE_INFINITY) result = Math.sign(value) * maxFinite;
      if (result !== value) valuesClamped += 1;
      bits[start + index] = float32ToFloat16Bits(result);
    }
  });
  const converted = createTensor(tensor.name ?? '', DataType.FLOAT16, tensor.dims.map(Number), bits);
  if (tensor.docString !== undefined) converted.docString = tensor.docString;
  return { tensor: converted, valuesClamped };
}
