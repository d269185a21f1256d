/**
 * The ONNX protobuf messages (onnx.proto, IR version 11 / onnx 1.23) as plain, editable objects.
 * Field names are the proto names in camelCase. Repeated fields are always arrays (empty when the
 * file had none). A singular field is `undefined` when the file did not set it, so a field the file
 * set to its default value is written back as it was. Fields the schema does not know survive in
 * `unknownFields` (raw wire bytes, written back unchanged after the known fields).
 *
 * int64 values are `number` when they fit in a double exactly and `bigint` otherwise (`Int64`).
 * Shapes, IR and opset versions are always `number`.
 *
 * The message interfaces are generated from the pinned onnx release's onnx.proto
 * (schema/onnx-schema.generated.ts, `npm run generate:onnx-schema -w @gpux/onnx`) and re-exported here.
 */

/** An int64 value: a number when it is a safe integer, else a bigint. */
export type Int64 = number | bigint;

/** Raw wire bytes of fields the schema does not know, kept per message. */
export interface UnknownFieldsCarrier {
  unknownFields?: Uint8Array[];
}

export type {
  StringStringEntryProto,
  OperatorSetIdProto,
  TensorSegmentProto,
  TensorProto,
  SparseTensorProto,
  TensorShapeDimension,
  TensorShapeProto,
  TypeProtoTensor,
  TypeProtoSequence,
  TypeProtoMap,
  TypeProtoOptional,
  TypeProtoOpaque,
  TypeProto,
  ValueInfoProto,
  AttributeProto,
  IntIntListEntryProto,
  SimpleShardedDimProto,
  ShardedDimProto,
  ShardingSpecProto,
  NodeDeviceConfigurationProto,
  NodeProto,
  TensorAnnotation,
  GraphProto,
  TrainingInfoProto,
  FunctionProto,
  DeviceConfigurationProto,
  ModelProto,
} from './schema/onnx-schema.generated';

/** `AttributeProto.AttributeType` numbers. */
export const AttributeType = {
  UNDEFINED: 0,
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
  TENSORS: 9,
  GRAPHS: 10,
  SPARSE_TENSOR: 11,
  SPARSE_TENSORS: 12,
  TYPE_PROTO: 13,
  TYPE_PROTOS: 14,
} as const;
