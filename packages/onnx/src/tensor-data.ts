/**
 * Reading and creating tensor values: raw_data (little-endian, any byteOffset), the typed data
 * fields (float_data, int32_data, int64_data, double_data, uint64_data), external data, and
 * float16/bfloat16.
 */
import { dataTypeByteLength, dataTypeFromName, dataTypeName } from './data-type';
import { isExternalTensor, readExternalTensorBytesSync } from './external-data';
import { bfloat16BitsToFloat32, float16BitsToFloat32, float32ToBfloat16Bits, float32ToFloat16Bits } from './float16';
import type { TensorProto } from './onnx-types';

/**
 * The typed arrays tensor values are returned in (the set onnxruntime-node's tensors use, and
 * `@gpux/converter-core`'s `HostTensor` data).
 */
export type TensorTypedArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

/** Options of {@link tensorToTypedArray}. */
export interface TensorToTypedArrayOptions {
  /** The model's folder, for external data (default: the folder `loadOnnxModel` recorded on the tensor). */
  baseDirectory?: string;
  /**
   * How float16/bfloat16 come back: decoded `'float32'` values or the raw `'bits'` (Uint16Array).
   * @default 'float32'
   */
  halfPrecision?: 'float32' | 'bits';
}

type TypedArrayConstructor = { new (buffer: ArrayBufferLike, byteOffset?: number, length?: number): TensorTypedArray; BYTES_PER_ELEMENT: number };

const RAW_CONSTRUCTORS: Record<number, TypedArrayConstructor> = {
  1: Float32Array,
  2: Uint8Array,
  3: Int8Array,
  4: Uint16Array,
  5: Int16Array,
  6: Int32Array,
  7: BigInt64Array,
  9: Uint8Array,
  10: Uint16Array,
  11: Float64Array,
  12: Uint32Array,
  13: BigUint64Array,
  14: Float32Array,
  15: Float64Array,
  16: Uint16Array,
  17: Uint8Array,
  18: Uint8Array,
  19: Uint8Array,
  20: Uint8Array,
  21: Uint8Array,
  22: Uint8Array,
  23: Uint8Array,
  24: Uint8Array,
  25: Uint8Array,
  26: Uint8Array,
};

/** The number of elements of a tensor (product of dims; 1 for a scalar). */
export function tensorElementCount(tensor: Pick<TensorProto, 'dims'>): number {
  let count = 1;
  for (const dim of tensor.dims) count *= Number(dim);
  return count;
}

/**
 * The tensor's packed little-endian bytes when stored as raw_data or external data, else undefined.
 * raw_data comes back as the stored view (no copy); external data is read from disk, from
 * `baseDirectory` or the folder recorded on the tensor. Synchronous, because the graph passes that
 * call it rewrite a model in one synchronous sweep: external bytes are read with
 * `readExternalTensorBytesSync` in 16 MiB pieces (use the async `readExternalTensorBytes` where
 * you can await).
 */
export function tensorRawBytes(tensor: TensorProto, baseDirectory?: string): Uint8Array | undefined {
  if (isExternalTensor(tensor)) return readExternalTensorBytesSync(tensor, baseDirectory);
  return tensor.rawData;
}

/**
 * Reads a tensor's values as a typed array (always a copy or a fresh buffer, safe to keep).
 * int64 gives BigInt64Array; bool gives Uint8Array; sub-byte and float8 types give their packed
 * bytes; float16/bfloat16 give Float32Array values unless `halfPrecision: 'bits'`. Synchronous,
 * like {@link tensorRawBytes}: external data is read in 16 MiB pieces on the calling thread.
 *
 * @throws {RangeError} for string tensors (read `stringData`) and unknown data types.
 * @throws {OnnxError} INVALID_MODEL_FILE when external data is missing.
 * @example
 * ```ts
 * const weights = tensorToTypedArray(model.graph!.initializer[0]!); // Float32Array
 * ```
 */
export function tensorToTypedArray(tensor: TensorProto, options: TensorToTypedArrayOptions | string = {}): TensorTypedArray {
  const settings = typeof options === 'string' ? { baseDirectory: options } : options;
  const dataType = tensor.dataType ?? 0;
  const Constructor = RAW_CONSTRUCTORS[dataType];
  if (Constructor === undefined) {
    throw new RangeError(`tensorToTypedArray: tensor "${tensor.name ?? ''}" has data type ${dataTypeName(dataType)}, which has no typed array; read stringData or rawData instead.`);
  }
  const raw = tensorRawBytes(tensor, settings.baseDirectory);
  let values: TensorTypedArray;
  if (raw !== undefined) {
    const aligned = raw.byteOffset % Constructor.BYTES_PER_ELEMENT === 0 && raw.byteLength % Constructor.BYTES_PER_ELEMENT === 0 && isExternalTensor(tensor);
    const bytes = aligned ? raw : copyBytes(raw);
    values = new Constructor(bytes.buffer, bytes.byteOffset, Math.floor(bytes.byteLength / Constructor.BYTES_PER_ELEMENT));
  } else {
    values = fromTypedFields(tensor, dataType, Constructor);
  }
  if ((dataType === 10 || dataType === 16) && settings.halfPrecision !== 'bits') {
    const decode = dataType === 10 ? float16BitsToFloat32 : bfloat16BitsToFloat32;
    return Float32Array.from(values as Uint16Array, decode);
  }
  return values;
}

function copyBytes(view: Uint8Array): Uint8Array {
  const copy = new Uint8Array(view.byteLength);
  copy.set(view);
  return copy;
}

function fromTypedFields(tensor: TensorProto, dataType: number, Constructor: TypedArrayConstructor): TensorTypedArray {
  switch (dataType) {
    case 1:
    case 14:
      return tensor.floatData.slice();
    case 11:
    case 15:
      return tensor.doubleData.slice();
    case 7:
      return tensor.int64Data.slice();
    case 13:
      return tensor.uint64Data.slice();
    case 12:
      return Uint32Array.from(tensor.uint64Data, (value) => Number(value));
    default: {
      // int32_data holds int8/uint8/int16/uint16/int32/bool/float16/bfloat16/float8 (one per entry)
      // and packed sub-byte types (two or four per byte in one entry each byte).
      const target = new Constructor(new ArrayBuffer(tensor.int32Data.length * Constructor.BYTES_PER_ELEMENT));
      for (let index = 0; index < tensor.int32Data.length; index += 1) (target as Int32Array)[index] = tensor.int32Data[index]!;
      return target;
    }
  }
}

/** Values accepted by {@link createTensor}. */
export type TensorValues = TensorTypedArray | number[] | bigint[] | boolean[];

/**
 * Creates an initializer-style tensor whose bytes are stored in raw_data (strings in string_data).
 * float16/bfloat16 accept float values (converted) or a Uint16Array of bits.
 *
 * @param dataType - a `TensorProto.DataType` number or a name such as `'float32'`.
 * @throws {RangeError} when the number of values does not match the dims.
 * @example
 * ```ts
 * const bias = createTensor('bias', 'float32', [4], new Float32Array([0, 1, 2, 3]));
 * ```
 */
export function createTensor(name: string, dataType: number | string, dims: number[], values: TensorValues | string[]): TensorProto {
  const type = typeof dataType === 'string' ? dataTypeFromName(dataType) : dataType;
  const tensor: TensorProto = {
    dims: [...dims],
    dataType: type,
    name,
    floatData: new Float32Array(0),
    int32Data: new Int32Array(0),
    stringData: [],
    int64Data: new BigInt64Array(0),
    externalData: [],
    doubleData: new Float64Array(0),
    uint64Data: new BigUint64Array(0),
    metadataProps: [],
  };
  const count = tensorElementCount(tensor);
  if (type === 8) {
    if (values.length !== count) throw new RangeError(`createTensor: "${name}" needs ${count} strings for dims [${dims.join(', ')}], got ${values.length}.`);
    const encoder = new TextEncoder();
    tensor.stringData = (values as unknown[]).map((value) => (typeof value === 'string' ? encoder.encode(value) : (value as Uint8Array)));
    return tensor;
  }
  const Constructor = RAW_CONSTRUCTORS[type];
  const byteLength = dataTypeByteLength(type, count);
  if (Constructor === undefined || byteLength === undefined) {
    throw new RangeError(`createTensor: data type ${dataTypeName(type)} is not supported for "${name}".`);
  }
  let typed: TensorTypedArray;
  if ((type === 10 || type === 16) && !(values instanceof Uint16Array)) {
    const encode = type === 10 ? float32ToFloat16Bits : float32ToBfloat16Bits;
    typed = Uint16Array.from(values as ArrayLike<number>, (value) => encode(Number(value)));
  } else if (values instanceof Constructor) {
    typed = values;
  } else if (Constructor === BigInt64Array || Constructor === BigUint64Array) {
    typed = (Constructor as unknown as typeof BigInt64Array).from(values as ArrayLike<unknown>, (value) => BigInt(value as number));
  } else {
    typed = (Constructor as unknown as typeof Float64Array).from(values as ArrayLike<unknown>, (value) => Number(value));
  }
  const expected = Constructor === Uint8Array && byteLength !== count ? byteLength : count;
  if (typed.length !== expected) {
    throw new RangeError(`createTensor: "${name}" needs ${expected} values for dims [${dims.join(', ')}], got ${typed.length}.`);
  }
  tensor.rawData = new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
  return tensor;
}
