/**
 * ONNX `TensorProto.DataType` numbers and their names. Numbers this table does not know (types newer
 * than onnx 1.23) are kept as numbers everywhere; {@link dataTypeName} then returns `'unknown(N)'`.
 */

/** Element type names, by `TensorProto.DataType` number. */
export const DATA_TYPE_NAMES = {
  0: 'undefined',
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
  14: 'complex64',
  15: 'complex128',
  16: 'bfloat16',
  17: 'float8e4m3fn',
  18: 'float8e4m3fnuz',
  19: 'float8e5m2',
  20: 'float8e5m2fnuz',
  21: 'uint4',
  22: 'int4',
  23: 'float4e2m1',
  24: 'float8e8m0',
  25: 'uint2',
  26: 'int2',
  27: 'float6e2m3',
  28: 'float6e3m2',
} as const;

/** A known element type name (`'float32'`, `'int64'`, `'bfloat16'`, ...). */
export type DataTypeName = (typeof DATA_TYPE_NAMES)[keyof typeof DATA_TYPE_NAMES];

/** `TensorProto.DataType` numbers by name. */
export const DataType: { readonly [Name in DataTypeName as Uppercase<Name>]: number } = Object.fromEntries(
  Object.entries(DATA_TYPE_NAMES).map(([number, name]) => [name.toUpperCase(), Number(number)]),
) as never;

const numbersByName = new Map<string, number>(
  Object.entries(DATA_TYPE_NAMES).map(([number, name]) => [name, Number(number)]),
);
numbersByName.set('float', 1);
numbersByName.set('double', 11);

/**
 * The name of a `TensorProto.DataType` number.
 *
 * @example
 * ```ts
 * dataTypeName(1); // 'float32'
 * dataTypeName(99); // 'unknown(99)'
 * ```
 */
export function dataTypeName(dataType: number | undefined): DataTypeName | `unknown(${number})` {
  const name = (DATA_TYPE_NAMES as Record<number, DataTypeName>)[dataType ?? 0];
  return name ?? `unknown(${dataType ?? 0})`;
}

/**
 * The `TensorProto.DataType` number of a type name (`'float32'`, also `'float'` and `'double'`).
 *
 * @throws {RangeError} when `name` is not a known element type.
 */
export function dataTypeFromName(name: string): number {
  const number = numbersByName.get(name.toLowerCase());
  if (number === undefined) {
    throw new RangeError(`dataTypeFromName: unknown ONNX element type "${name}"; expected one of ${[...numbersByName.keys()].join(', ')}.`);
  }
  return number;
}

/** Bits per element (4 for int4/uint4/float4, 2 for int2/uint2), or undefined for string, undefined and types whose packing this table does not know. */
export function dataTypeBits(dataType: number): number | undefined {
  switch (dataType) {
    case 1: case 6: case 12: return 32;
    case 2: case 3: case 9: case 17: case 18: case 19: case 20: case 24: return 8;
    case 4: case 5: case 10: case 16: return 16;
    case 7: case 11: case 13: case 14: return 64;
    case 15: return 128;
    case 21: case 22: case 23: return 4;
    case 25: case 26: return 2;
    default: return undefined;
  }
}

/** Bytes needed for `elementCount` packed elements of `dataType` (sub-byte types round up). */
export function dataTypeByteLength(dataType: number, elementCount: number): number | undefined {
  const bits = dataTypeBits(dataType);
  if (bits === undefined) return undefined;
  return Math.ceil((elementCount * bits) / 8);
}
