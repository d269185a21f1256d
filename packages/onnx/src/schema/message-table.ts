/**
 * The shape of the field tables that `scripts/generate-onnx-schema.mjs` writes into
 * `onnx-schema.generated.ts` from the official onnx.proto. Plain data: `onnx-schema.ts` links the
 * tables into the {@link MessageSpec} graph the wire codec walks.
 */

/** How a field's value is represented on the wire and in JS. */
export type FieldKind =
  | 'int32' // varint, two's complement 32-bit (also enums): number
  | 'int64' // varint: number when safe, else bigint
  | 'uint64' // varint, unsigned: number when safe, else bigint
  | 'float' // fixed32
  | 'double' // fixed64
  | 'string' // length-delimited UTF-8
  | 'bytes' // length-delimited, kept as a view into the input
  | 'message'
  // Repeated numeric fields kept as typed arrays (TensorProto data fields):
  | 'float32-array'
  | 'int32-array'
  | 'int64-array'
  | 'float64-array'
  | 'uint64-array';

/** The field's type as onnx.proto declares it (`enum` and `message` name their type in `typeName`). */
export type ProtoFieldType = 'int32' | 'int64' | 'uint64' | 'float' | 'double' | 'string' | 'bytes' | 'enum' | 'message';

/** One field of a message, as the generator read it from onnx.proto. */
export interface FieldTableEntry {
  /** The field number. */
  readonly number: number;
  /** The JS property name (camelCase of the proto name). */
  readonly name: string;
  /** The name in onnx.proto (snake_case). */
  readonly protoName: string;
  readonly type: ProtoFieldType;
  /** For `message` and `enum` fields: the type's name inside package `onnx` (`TensorProto.Segment`). */
  readonly typeName?: string;
  /** How the codec represents the value (the generator's typed-array rule picks the `*-array` kinds). */
  readonly kind: FieldKind;
  readonly repeated: boolean;
  /** Written packed (proto2 `[packed = true]`); both forms are accepted when reading. */
  readonly packed: boolean;
  /** The `oneof` the field belongs to, if any. */
  readonly oneof?: string;
}
