/** Tensor values the constant folder computes with, and their conversion from/to TensorProto. */
import type { TensorProto, TensorTypedArray } from '@gpux/onnx';
import { DataType, createTensor, tensorToTypedArray } from '@gpux/onnx';

/**
 * A constant value. float16/bfloat16 values are held decoded in a Float32Array and bool as 0/1
 * bytes; int64/uint64 in BigInt64Array/BigUint64Array.
 */
export interface ConstantTensor {
  dataType: number;
  dims: number[];
  values: TensorTypedArray;
}

type ArrayConstructorLike = new (length: number) => TensorTypedArray;

const CONSTRUCTORS: Record<number, ArrayConstructorLike> = {
  [DataType.FLOAT32]: Float32Array,
  [DataType.UINT8]: Uint8Array,
  [DataType.INT8]: Int8Array,
  [DataType.UINT16]: Uint16Array,
  [DataType.INT16]: Int16Array,
  [DataType.INT32]: Int32Array,
  [DataType.INT64]: BigInt64Array,
  [DataType.BOOL]: Uint8Array,
  [DataType.FLOAT16]: Float32Array,
  [DataType.FLOAT64]: Float64Array,
  [DataType.UINT32]: Uint32Array,
  [DataType.UINT64]: BigUint64Array,
  [DataType.BFLOAT16]: Float32Array,
};

/** Whether the folder can compute with this data type. */
export function isFoldableType(dataType: number): boolean {
  return CONSTRUCTORS[dataType] !== undefined;
}

/** A zero-filled array for `count` elements of `dataType`. */
export function allocateValues(dataType: number, count: number): TensorTypedArray {
  const Constructor = CONSTRUCTORS[dataType];
  if (Constructor === undefined) throw new RangeError(`Data type ${dataType} cannot be folded.`);
  return new Constructor(count);
}

/** Whether the values are bigints (int64/uint64). */
export function isBigIntValues(values: TensorTypedArray): values is BigInt64Array | BigUint64Array {
  return values instanceof BigInt64Array || values instanceof BigUint64Array;
}

/** Reads an initializer or attribute tensor; undefined for types the folder does not handle. */
export function constantFromTensor(tensor: TensorProto, baseDirectory?: string): ConstantTensor | undefined {
  const dataType = tensor.dataType ?? 0;
  if (!isFoldableType(dataType)) return undefined;
  const values = tensorToTypedArray(tensor, { baseDirectory });
  return { dataType, dims: tensor.dims.map(Number), values };
}

/** Writes a constant as an initializer named `name`. */
export function constantToTensor(name: string, constant: ConstantTensor): TensorProto {
  return createTensor(name, constant.dataType, constant.dims, constant.values);
}

/** The values as plain numbers (int64 converted; for shapes, axes and indices). */
export function constantNumbers(constant: ConstantTensor): number[] {
  return Array.from(constant.values as ArrayLike<number | bigint>, (value) => Number(value));
}

/** An int64 constant from numbers. */
export function int64Constant(values: number[], dims: number[] = [values.length]): ConstantTensor {
  return { dataType: DataType.INT64, dims, values: BigInt64Array.from(values, (value) => BigInt(value)) };
}

/** The number of elements for dims. */
export function elementCount(dims: readonly number[]): number {
  return dims.reduce((product, dim) => product * dim, 1);
}

/** Row-major strides of dims. */
export function stridesOf(dims: readonly number[]): number[] {
  const strides = new Array<number>(dims.length).fill(1);
  for (let axis = dims.length - 2; axis >= 0; axis -= 1) strides[axis] = strides[axis + 1]! * dims[axis + 1]!;
  return strides;
}

/** Normalizes a possibly negative axis for a rank. @throws {RangeError} when out of range. */
export function normalizeAxis(axis: number, rank: number): number {
  const normalized = axis < 0 ? axis + rank : axis;
  if (normalized < 0 || normalized >= rank) throw new RangeError(`axis ${axis} is out of range for rank ${rank}`);
  return normalized;
}
