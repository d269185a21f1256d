/**
 * The ONNX message schema (field numbers of onnx.proto as of onnx 1.23, IR version 11+), which
 * drives the generic wire codec. Field numbers are facts taken from
 * https://github.com/onnx/onnx/blob/main/onnx/onnx.proto (proto2 syntax: repeated scalars are
 * unpacked unless the proto says `[packed = true]`).
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
  name: string;
  /** Sorted by field number (the order protobuf serializers write them). */
  fields: FieldSpec[];
  byNumber: Map<number, FieldSpec>;
}

function message(name: string): MessageSpec {
  return { name, fields: [], byNumber: new Map() };
}

type FieldTuple = [number, string, FieldKind, ('repeated' | 'packed')?, MessageSpec?];

function define(spec: MessageSpec, tuples: FieldTuple[]): void {
  for (const [number, name, kind, repetition, messageSpec] of tuples) {
    const field: FieldSpec = {
      number,
      name,
      kind,
      repeated: repetition !== undefined || kind.endsWith('-array'),
      packed: repetition === 'packed',
      ...(messageSpec === undefined ? {} : { message: messageSpec }),
    };
    spec.fields.push(field);
    spec.byNumber.set(number, field);
  }
  spec.fields.sort((left, right) => left.number - right.number);
}

export const StringStringEntrySpec = message('StringStringEntryProto');
export const OperatorSetIdSpec = message('OperatorSetIdProto');
export const TensorSegmentSpec = message('TensorProto.Segment');
export const TensorSpec = message('TensorProto');
export const SparseTensorSpec = message('SparseTensorProto');
export const DimensionSpec = message('TensorShapeProto.Dimension');
export const TensorShapeSpec = message('TensorShapeProto');
export const TypeTensorSpec = message('TypeProto.Tensor');
export const TypeSequenceSpec = message('TypeProto.Sequence');
export const TypeMapSpec = message('TypeProto.Map');
export const TypeOptionalSpec = message('TypeProto.Optional');
export const TypeSparseTensorSpec = message('TypeProto.SparseTensor');
export const TypeOpaqueSpec = message('TypeProto.Opaque');
export const TypeSpec = message('TypeProto');
export const ValueInfoSpec = message('ValueInfoProto');
export const AttributeSpec = message('AttributeProto');
export const IntIntListEntrySpec = message('IntIntListEntryProto');
export const SimpleShardedDimSpec = message('SimpleShardedDimProto');
export const ShardedDimSpec = message('ShardedDimProto');
export const ShardingSpecSpec = message('ShardingSpecProto');
export const NodeDeviceConfigurationSpec = message('NodeDeviceConfigurationProto');
export const NodeSpec = message('NodeProto');
export const TensorAnnotationSpec = message('TensorAnnotation');
export const GraphSpec = message('GraphProto');
export const TrainingInfoSpec = message('TrainingInfoProto');
export const FunctionSpec = message('FunctionProto');
export const DeviceConfigurationSpec = message('DeviceConfigurationProto');
export const ModelSpec = message('ModelProto');

define(StringStringEntrySpec, [
  [1, 'key', 'string'],
  [2, 'value', 'string'],
]);
define(OperatorSetIdSpec, [
  [1, 'domain', 'string'],
  [2, 'version', 'int64'],
]);
define(TensorSegmentSpec, [
  [1, 'begin', 'int64'],
  [2, 'end', 'int64'],
]);
define(TensorSpec, [
  [1, 'dims', 'int64', 'repeated'],
  [2, 'dataType', 'int32'],
  [3, 'segment', 'message', undefined, TensorSegmentSpec],
  [4, 'floatData', 'float32-array', 'packed'],
  [5, 'int32Data', 'int32-array', 'packed'],
  [6, 'stringData', 'bytes', 'repeated'],
  [7, 'int64Data', 'int64-array', 'packed'],
  [8, 'name', 'string'],
  [9, 'rawData', 'bytes'],
  [10, 'doubleData', 'float64-array', 'packed'],
  [11, 'uint64Data', 'uint64-array', 'packed'],
  [12, 'docString', 'string'],
  [13, 'externalData', 'message', 'repeated', StringStringEntrySpec],
  [14, 'dataLocation', 'int32'],
  [16, 'metadataProps', 'message', 'repeated', StringStringEntrySpec],
]);
define(SparseTensorSpec, [
  [1, 'values', 'message', undefined, TensorSpec],
  [2, 'indices', 'message', undefined, TensorSpec],
  [3, 'dims', 'int64', 'repeated'],
]);
define(DimensionSpec, [
  [1, 'dimValue', 'int64'],
  [2, 'dimParam', 'string'],
  [3, 'denotation', 'string'],
]);
define(TensorShapeSpec, [[1, 'dim', 'message', 'repeated', DimensionSpec]]);
define(TypeTensorSpec, [
  [1, 'elemType', 'int32'],
  [2, 'shape', 'message', undefined, TensorShapeSpec],
]);
define(TypeSparseTensorSpec, [
  [1, 'elemType', 'int32'],
  [2, 'shape', 'message', undefined, TensorShapeSpec],
]);
define(TypeSequenceSpec, [[1, 'elemType', 'message', undefined, TypeSpec]]);
define(TypeMapSpec, [
  [1, 'keyType', 'int32'],
  [2, 'valueType', 'message', undefined, TypeSpec],
]);
define(TypeOptionalSpec, [[1, 'elemType', 'message', undefined, TypeSpec]]);
define(TypeOpaqueSpec, [
  [1, 'domain', 'string'],
  [2, 'name', 'string'],
]);
define(TypeSpec, [
  [1, 'tensorType', 'message', undefined, TypeTensorSpec],
  [4, 'sequenceType', 'message', undefined, TypeSequenceSpec],
  [5, 'mapType', 'message', undefined, TypeMapSpec],
  [6, 'denotation', 'string'],
  [7, 'opaqueType', 'message', undefined, TypeOpaqueSpec],
  [8, 'sparseTensorType', 'message', undefined, TypeSparseTensorSpec],
  [9, 'optionalType', 'message', undefined, TypeOptionalSpec],
]);
define(ValueInfoSpec, [
  [1, 'name', 'string'],
  [2, 'type', 'message', undefined, TypeSpec],
  [3, 'docString', 'string'],
  [4, 'metadataProps', 'message', 'repeated', StringStringEntrySpec],
]);
define(AttributeSpec, [
  [1, 'name', 'string'],
  [2, 'f', 'float'],
  [3, 'i', 'int64'],
  [4, 's', 'bytes'],
  [5, 't', 'message', undefined, TensorSpec],
  [6, 'g', 'message', undefined, GraphSpec],
  [7, 'floats', 'float', 'repeated'],
  [8, 'ints', 'int64', 'repeated'],
  [9, 'strings', 'bytes', 'repeated'],
  [10, 'tensors', 'message', 'repeated', TensorSpec],
  [11, 'graphs', 'message', 'repeated', GraphSpec],
  [13, 'docString', 'string'],
  [14, 'tp', 'message', undefined, TypeSpec],
  [15, 'typeProtos', 'message', 'repeated', TypeSpec],
  [20, 'type', 'int32'],
  [21, 'refAttrName', 'string'],
  [22, 'sparseTensor', 'message', undefined, SparseTensorSpec],
  [23, 'sparseTensors', 'message', 'repeated', SparseTensorSpec],
]);
define(IntIntListEntrySpec, [
  [1, 'key', 'int64'],
  [2, 'value', 'int64', 'repeated'],
]);
define(SimpleShardedDimSpec, [
  [1, 'dimValue', 'int64'],
  [2, 'dimParam', 'string'],
  [3, 'numShards', 'int64'],
]);
define(ShardedDimSpec, [
  [1, 'axis', 'int64'],
  [2, 'simpleSharding', 'message', 'repeated', SimpleShardedDimSpec],
]);
define(ShardingSpecSpec, [
  [1, 'tensorName', 'string'],
  [2, 'device', 'int64', 'repeated'],
  [3, 'indexToDeviceGroupMap', 'message', 'repeated', IntIntListEntrySpec],
  [4, 'shardedDim', 'message', 'repeated', ShardedDimSpec],
]);
define(NodeDeviceConfigurationSpec, [
  [1, 'configurationId', 'string'],
  [2, 'shardingSpec', 'message', 'repeated', ShardingSpecSpec],
  [3, 'pipelineStage', 'int32'],
]);
define(NodeSpec, [
  [1, 'input', 'string', 'repeated'],
  [2, 'output', 'string', 'repeated'],
  [3, 'name', 'string'],
  [4, 'opType', 'string'],
  [5, 'attribute', 'message', 'repeated', AttributeSpec],
  [6, 'docString', 'string'],
  [7, 'domain', 'string'],
  [8, 'overload', 'string'],
  [9, 'metadataProps', 'message', 'repeated', StringStringEntrySpec],
  [10, 'deviceConfigurations', 'message', 'repeated', NodeDeviceConfigurationSpec],
]);
define(TensorAnnotationSpec, [
  [1, 'tensorName', 'string'],
  [2, 'quantParameterTensorNames', 'message', 'repeated', StringStringEntrySpec],
]);
define(GraphSpec, [
  [1, 'node', 'message', 'repeated', NodeSpec],
  [2, 'name', 'string'],
  [5, 'initializer', 'message', 'repeated', TensorSpec],
  [10, 'docString', 'string'],
  [11, 'input', 'message', 'repeated', ValueInfoSpec],
  [12, 'output', 'message', 'repeated', ValueInfoSpec],
  [13, 'valueInfo', 'message', 'repeated', ValueInfoSpec],
  [14, 'quantizationAnnotation', 'message', 'repeated', TensorAnnotationSpec],
  [15, 'sparseInitializer', 'message', 'repeated', SparseTensorSpec],
  [16, 'metadataProps', 'message', 'repeated', StringStringEntrySpec],
]);
define(TrainingInfoSpec, [
  [1, 'initialization', 'message', undefined, GraphSpec],
  [2, 'algorithm', 'message', undefined, GraphSpec],
  [3, 'initializationBinding', 'message', 'repeated', StringStringEntrySpec],
  [4, 'updateBinding', 'message', 'repeated', StringStringEntrySpec],
]);
define(FunctionSpec, [
  [1, 'name', 'string'],
  [4, 'input', 'string', 'repeated'],
  [5, 'output', 'string', 'repeated'],
  [6, 'attribute', 'string', 'repeated'],
  [7, 'node', 'message', 'repeated', NodeSpec],
  [8, 'docString', 'string'],
  [9, 'opsetImport', 'message', 'repeated', OperatorSetIdSpec],
  [10, 'domain', 'string'],
  [11, 'attributeProto', 'message', 'repeated', AttributeSpec],
  [12, 'valueInfo', 'message', 'repeated', ValueInfoSpec],
  [13, 'overload', 'string'],
  [14, 'metadataProps', 'message', 'repeated', StringStringEntrySpec],
]);
define(DeviceConfigurationSpec, [
  [1, 'name', 'string'],
  [2, 'numDevices', 'int32'],
  [3, 'device', 'string', 'repeated'],
]);
define(ModelSpec, [
  [1, 'irVersion', 'int64'],
  [2, 'producerName', 'string'],
  [3, 'producerVersion', 'string'],
  [4, 'domain', 'string'],
  [5, 'modelVersion', 'int64'],
  [6, 'docString', 'string'],
  [7, 'graph', 'message', undefined, GraphSpec],
  [8, 'opsetImport', 'message', 'repeated', OperatorSetIdSpec],
  [14, 'metadataProps', 'message', 'repeated', StringStringEntrySpec],
  [20, 'trainingInfo', 'message', 'repeated', TrainingInfoSpec],
  [25, 'functions', 'message', 'repeated', FunctionSpec],
  [26, 'configuration', 'message', 'repeated', DeviceConfigurationSpec],
]);
