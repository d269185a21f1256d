/**
 * The ONNX message schema that drives the generic wire codec. The field tables are generated from
 * the official onnx.proto of the pinned onnx release (`schema/onnx-schema.generated.ts`, written by
 * `scripts/generate-onnx-schema.mjs`; see the package README). This file links them into the
 * {@link MessageSpec} graph the decoder and encoder walk, and names the specs the codec uses.
 */
import type { FieldKind } from './schema/message-table';
import type { OnnxMessageName } from './schema/onnx-schema.generated';
import { onnxMessageTables } from './schema/onnx-schema.generated';

export type { FieldKind } from './schema/message-table';

export interface FieldSpec {
  number: number;
  /** The JS property name (camelCase of the proto name). */
  name: string;
  kind: FieldKind;
  repeated: boolean;
  /** Written packed (proto2 `[packed = true]`); both forms are accepted when reading. */
  packed: boolean;
  message?: MessageSpec;
}

export interface MessageSpec {
  /** The message's name inside package `onnx` (`TensorProto.Segment`). */
  name: string;
  /** Sorted by field number (the order protobuf serializers write them). */
  fields: FieldSpec[];
  byNumber: Map<number, FieldSpec>;
}

function linkSpecs(): Record<OnnxMessageName, MessageSpec> {
  const names = Object.keys(onnxMessageTables) as OnnxMessageName[];
  const specs = {} as Record<OnnxMessageName, MessageSpec>;
  for (const name of names) specs[name] = { name, fields: [], byNumber: new Map() };
  for (const name of names) {
    const spec = specs[name];
    for (const entry of onnxMessageTables[name]) {
      const field: FieldSpec = {
        number: entry.number,
        name: entry.name,
        kind: entry.kind,
        repeated: entry.repeated,
        packed: entry.packed,
      };
      if (entry.type === 'message') field.message = specs[entry.typeName as OnnxMessageName];
      spec.fields.push(field);
      spec.byNumber.set(field.number, field);
    }
    spec.fields.sort((left, right) => left.number - right.number);
  }
  return specs;
}

/** The spec of every message reachable from ModelProto, by its name inside package `onnx`. */
export const onnxMessageSpecs: Readonly<Record<OnnxMessageName, MessageSpec>> = linkSpecs();

export const StringStringEntrySpec = onnxMessageSpecs.StringStringEntryProto;
export const OperatorSetIdSpec = onnxMessageSpecs.OperatorSetIdProto;
export const TensorSegmentSpec = onnxMessageSpecs['TensorProto.Segment'];
export const TensorSpec = onnxMessageSpecs.TensorProto;
export const SparseTensorSpec = onnxMessageSpecs.SparseTensorProto;
export const DimensionSpec = onnxMessageSpecs['TensorShapeProto.Dimension'];
export const TensorShapeSpec = onnxMessageSpecs.TensorShapeProto;
export const TypeTensorSpec = onnxMessageSpecs['TypeProto.Tensor'];
export const TypeSequenceSpec = onnxMessageSpecs['TypeProto.Sequence'];
export const TypeMapSpec = onnxMessageSpecs['TypeProto.Map'];
export const TypeOptionalSpec = onnxMessageSpecs['TypeProto.Optional'];
export const TypeSparseTensorSpec = onnxMessageSpecs['TypeProto.SparseTensor'];
export const TypeOpaqueSpec = onnxMessageSpecs['TypeProto.Opaque'];
export const TypeSpec = onnxMessageSpecs.TypeProto;
export const ValueInfoSpec = onnxMessageSpecs.ValueInfoProto;
export const AttributeSpec = onnxMessageSpecs.AttributeProto;
export const IntIntListEntrySpec = onnxMessageSpecs.IntIntListEntryProto;
export const SimpleShardedDimSpec = onnxMessageSpecs.SimpleShardedDimProto;
export const ShardedDimSpec = onnxMessageSpecs.ShardedDimProto;
export const ShardingSpecSpec = onnxMessageSpecs.ShardingSpecProto;
export const NodeDeviceConfigurationSpec = onnxMessageSpecs.NodeDeviceConfigurationProto;
export const NodeSpec = onnxMessageSpecs.NodeProto;
export const TensorAnnotationSpec = onnxMessageSpecs.TensorAnnotation;
export const GraphSpec = onnxMessageSpecs.GraphProto;
export const TrainingInfoSpec = onnxMessageSpecs.TrainingInfoProto;
export const FunctionSpec = onnxMessageSpecs.FunctionProto;
export const DeviceConfigurationSpec = onnxMessageSpecs.DeviceConfigurationProto;
export const ModelSpec = onnxMessageSpecs.ModelProto;
