// GENERATED FILE: do not edit. Written by packages/onnx/scripts/generate-onnx-schema.mjs
// from onnx/onnx.proto of the onnx 1.23.2 PyPI release (proto2, package onnx),
// sha256 547214dd049486a4d5ecbae593e9c72d90b5e8d603944b722eff469e0b5a9cc9.
// Regenerate after bumping onnx (packages/pytorch-adapter/python/requirements.txt): npm run generate:onnx-schema -w @gpux/onnx
import type { Int64, UnknownFieldsCarrier } from '../onnx-types';
import type { FieldTableEntry } from './message-table';

/** Where these tables came from. */
export const onnxSchemaSource = {
  onnxVersion: '1.23.2',
  protoFile: 'onnx/onnx.proto',
  protoSha256: '547214dd049486a4d5ecbae593e9c72d90b5e8d603944b722eff469e0b5a9cc9',
  syntax: 'proto2',
} as const;

/** The messages reachable from ModelProto, by their name inside package `onnx`. */
export type OnnxMessageName =
  | 'AttributeProto'
  | 'DeviceConfigurationProto'
  | 'FunctionProto'
  | 'GraphProto'
  | 'IntIntListEntryProto'
  | 'ModelProto'
  | 'NodeDeviceConfigurationProto'
  | 'NodeProto'
  | 'OperatorSetIdProto'
  | 'ShardedDimProto'
  | 'ShardingSpecProto'
  | 'SimpleShardedDimProto'
  | 'SparseTensorProto'
  | 'StringStringEntryProto'
  | 'TensorAnnotation'
  | 'TensorProto'
  | 'TensorProto.Segment'
  | 'TensorShapeProto'
  | 'TensorShapeProto.Dimension'
  | 'TrainingInfoProto'
  | 'TypeProto'
  | 'TypeProto.Map'
  | 'TypeProto.Opaque'
  | 'TypeProto.Optional'
  | 'TypeProto.Sequence'
  | 'TypeProto.SparseTensor'
  | 'TypeProto.Tensor'
  | 'ValueInfoProto';

/** Every field of every message reachable from ModelProto, sorted by field number. */
export const onnxMessageTables: Readonly<Record<OnnxMessageName, readonly FieldTableEntry[]>> = {
  AttributeProto: [
    { number: 1, name: 'name', protoName: 'name', type: 'string', kind: 'string', repeated: false, packed: false },
    { number: 2, name: 'f', protoName: 'f', type: 'float', kind: 'float', repeated: false, packed: false },
    { number: 3, name: 'i', protoName: 'i', type: 'int64', kind: 'int64', repeated: false, packed: false },
    { number: 4, name: 's', protoName: 's', type: 'bytes', kind: 'bytes', repeated: false, packed: false },
    { number: 5, name: 't', protoName: 't', type: 'message', typeName: 'TensorProto', kind: 'message', repeated: false, packed: false },
    { number: 6, name: 'g', protoName: 'g', type: 'message', typeName: 'GraphProto', kind: 'message', repeated: false, packed: false },
    { number: 7, name: 'floats', protoName: 'floats', type: 'float', kind: 'float', repeated: true, packed: false },
    { number: 8, name: 'ints', protoName: 'ints', type: 'int64', kind: 'int64', repeated: true, packed: false },
    { number: 9, name: 'strings', protoName: 'strings', type: 'bytes', kind: 'bytes', repeated: true, packed: false },
    { number: 10, name: 'tensors', protoName: 'tensors', type: 'message', typeName: 'TensorProto', kind: 'message', repeated: true, packed: false },
    { number: 11, name: 'graphs', protoName: 'graphs', type: 'message', typeName: 'GraphProto', kind: 'message', repeated: true, packed: false },
    { number: 13, name: 'docString', protoName: 'doc_string', type: 'string', kind: 'string', repeated: false, packed: false },
    { number: 14, name: 'tp', protoName: 'tp', type: 'message', typeName: 'TypeProto', kind: 'message', repeated: false, packed: false },
    { number: 15, name: 'typeProtos', protoName: 'type_protos', type: 'message', typeName: 'TypeProto', kind: 'message', repeated: true, packed: false },
    { number: 20, name: 'type', protoName: 'type', type: 'enum', typeName: 'AttributeProto.AttributeType', kind: 'int32', repeated: false, packed: false },
    { number: 21, name: 'refAttrName', protoName: 'ref_attr_name', type: 'string', kind: 'string', repeated: false, packed: false },
    { number: 22, name: 'sparseTensor', protoName: 'sparse_tensor', type: 'message', typeName: 'SparseTensorProto', kind: 'message', repeated: false, packed: false },
    { number: 23, name: 'sparseTensors', protoName: 'sparse_tensors', type: 'message', typeName: 'SparseTensorProto', kind: 'message', repeated: true, packed: false },
  ],
  DeviceConfigurationProto: [
    { number: 1, name: 'name', protoName: 'name', type: 'string', kind: 'string', repeated: false, packed: false },
    { number: 2, name: 'numDevices', protoName: 'num_devices', type: 'int32', kind: 'int32', repeated: false, packed: false },
    { number: 3, name: 'device', protoName: 'device', type: 'string', kind: 'string', repeated: true, packed: false },
  ],
  FunctionProto: [
    { number: 1, name: 'name', protoName: 'name', type: 'string', kind: 'string', repeated: false, packed: false },
    { number: 4, name: 'input', protoName: 'input', type: 'string', kind: 'string', repeated: true, packed: false },
    { number: 5, name: 'output', protoName: 'output', type: 'string', kind: 'string', repeated: true, packed: false },
    { number: 6, name: 'attribute', protoName: 'attribute', type: 'string', kind: 'string', repeated: true, packed: false },
    { number: 7, name: 'node', protoName: 'node', type: 'message', typeName: 'NodeProto', kind: 'message', repeated: true, packed: false },
    { number: 8, name: 'docString', protoName: 'doc_string', type: 'string', kind: 'string', repeated: false, packed: false },
    { number: 9, name: 'opsetImport', protoName: 'opset_import', type: 'message', typeName: 'OperatorSetIdProto', kind: 'message', repeated: true, packed: false },
    { number: 10, name: 'domain', protoName: 'domain', type: 'string', kind: 'string', repeated: false, packed: false },
    { number: 11, name: 'attributeProto', protoName: 'attribute_proto', type: 'message', typeName: 'AttributeProto', kind: 'message', repeated: true, packed: false },
    { number: 12, name: 'valueInfo', protoName: 'value_info', type: 'message', typeName: 'ValueInfoProto', kind: 'message', repeated: true, packed: false },
    { number: 13, name: 'overload', protoName: 'overload', type: 'string', kind: 'string', repeated: false, packed: false },
    { number: 14, name: 'metadataProps', protoName: 'metadata_props', type: 'message', typeName: 'StringStringEntryProto', kind: 'message', repeated: true, packed: false },
  ],
  GraphProto: [
    { number: 1, name: 'node', protoName: 'node', type: 'message', typeName: 'NodeProto', kind: 'message', repeated: true, packed: false },
    { number: 2, name: 'name', protoName: 'name', type: 'string', kind: 'string', repeated: false, packed: false },
    { number: 5, name: 'initializer', protoName: 'initializer', type: 'message', typeName: 'TensorProto', kind: 'message', repeated: true, packed: false },
    { number: 10, name: 'docString', protoName: 'doc_string', type: 'string', kind: 'string', repeated: false, packed: false },
    { number: 11, name: 'input', protoName: 'input', type: 'message', typeName: 'ValueInfoProto', kind: 'message', repeated: true, packed: false },
    { number: 12, name: 'output', protoName: 'output', type: 'message', typeName: 'ValueInfoProto', kind: 'message', repeated: true, packed: false },
    { number: 13, name: 'valueInfo', protoName: 'value_info', type: 'message', typeName: 'ValueInfoProto', kind: 'message', repeated: true, packed: false },
    { number: 14, name: 'quantizationAnnotation', protoName: 'quantization_annotation', type: 'message', typeName: 'TensorAnnotation', kind: 'message', repeated: true, packed: false },
    { number: 15, name: 'sparseInitializer', protoName: 'sparse_initializer', type: 'message', typeName: 'SparseTensorProto', kind: 'message', repeated: true, packed: false },
    { number: 16, name: 'metadataProps', protoName: 'metadata_props', type: 'message', typeName: 'StringStringEntryProto', kind: 'message', repeated: true, packed: false },
  ],
  IntIntListEntryProto: [
    { number: 1, name: 'key', protoName: 'key', type: 'int64', kind: 'int64', repeated: false, packed: false },
    { number: 2, name: 'value', protoName: 'value', type: 'int64', kind: 'int64', repeated: true, packed: false },
  ],
  ModelProto: [
    { number: 1, name: 'irVersion', protoName: 'ir_version', type: 'int64', kind: 'int64', repeated: false, packed: false },
    { number: 2, name: 'producerName', protoName: 'producer_name', type: 'string', kind: 'string', repeated: false, packed: false },
    { number: 3, name: 'producerVersion', protoName: 'producer_version', type: 'string', kind: 'string', repeated: false, packed: false },
    { number: 4, name: 'domain', protoName: 'domain', type: 'string', kind: 'string', repeated: false, packed: false },
    { number: 5, name: 'modelVersion', protoName: 'model_version', type: 'int64', kind: 'int64', repeated: false, packed: false },
    { number: 6, name: 'docString', protoName: 'doc_string', type: 'string', kind: 'string', repeated: false, packed: false },
    { number: 7, name: 'graph', protoName: 'graph', type: 'message', typeName: 'GraphProto', kind: 'message', repeated: false, packed: false },
    { number: 8, name: 'opsetImport', protoName: 'opset_import', type: 'message', typeName: 'OperatorSetIdProto', kind: 'message', repeated: true, packed: false },
    { number: 14, name: 'metadataProps', protoName: 'metadata_props', type: 'message', typeName: 'StringStringEntryProto', kind: 'message', repeated: true, packed: false },
    { number: 20, name: 'trainingInfo', protoName: 'training_info', type: 'message', typeName: 'TrainingInfoProto', kind: 'message', repeated: true, packed: false },
    { number: 25, name: 'functions', protoName: 'functions', type: 'message', typeName: 'FunctionProto', kind: 'message', repeated: true, packed: false },
    { number: 26, name: 'configuration', protoName: 'configuration', type: 'message', typeName: 'DeviceConfigurationProto', kind: 'message', repeated: true, packed: false },
  ],
  NodeDeviceConfigurationProto: [
    { number: 1, name: 'configurationId', protoName: 'configuration_id', type: 'string', kind: 'string', repeated: false, packed: false },
    { number: 2, name: 'shardingSpec', protoName: 'sharding_spec', type: 'message', typeName: 'ShardingSpecProto', kind: 'message', repeated: true, packed: false },
    { number: 3, name: 'pipelineStage', protoName: 'pipeline_stage', type: 'int32', kind: 'int32', repeated: false, packed: false },
  ],
  NodeProto: [
    { number: 1, name: 'input', protoName: 'input', type: 'string', kind: 'string', repeated: true, packed: false },
    { number: 2, name: 'output', protoName: 'output', type: 'string', kind: 'string', repeated: true, packed: false },
    { number: 3, name: 'name', protoName: 'name', type: 'string', kind: 'string', repeated: false, packed: false },
    { number: 4, name: 'opType', protoName: 'op_type', type: 'string', kind: 'string', repeated: false, packed: false },
    { number: 5, name: 'attribute', protoName: 'attribute', type: 'message', typeName: 'AttributeProto', kind: 'message', repeated: true, packed: false },
    { number: 6, name: 'docString', protoName: 'doc_string', type: 'string', kind: 'string', repeated: false, packed: false },
    { number: 7, name: 'domain', protoName: 'domain', type: 'string', kind: 'string', repeated: false, packed: false },
    { number: 8, name: 'overload', protoName: 'overload', type: 'string', kind: 'string', repeated: false, packed: false },
    { number: 9, name: 'metadataProps', protoName: 'metadata_props', type: 'message', typeName: 'StringStringEntryProto', kind: 'message', repeated: true, packed: false },
    { number: 10, name: 'deviceConfigurations', protoName: 'device_configurations', type: 'message', typeName: 'NodeDeviceConfigurationProto', kind: 'message', repeated: true, packed: false },
  ],
  OperatorSetIdProto: [
    { number: 1, name: 'domain', protoName: 'domain', type: 'string', kind: 'string', repeated: false, packed: false },
    { number: 2, name: 'version', protoName: 'version', type: 'int64', kind: 'int64', repeated: false, packed: false },
  ],
  ShardedDimProto: [
    { number: 1, name: 'axis', protoName: 'axis', type: 'int64', kind: 'int64', repeated: false, packed: false },
    { number: 2, name: 'simpleSharding', protoName: 'simple_sharding', type: 'message', typeName: 'SimpleShardedDimProto', kind: 'message', repeated: true, packed: false },
  ],
  ShardingSpecProto: [
    { number: 1, name: 'tensorName', protoName: 'tensor_name', type: 'string', kind: 'string', repeated: false, packed: false },
    { number: 2, name: 'device', protoName: 'device', type: 'int64', kind: 'int64', repeated: true, packed: false },
    { number: 3, name: 'indexToDeviceGroupMap', protoName: 'index_to_device_group_map', type: 'message', typeName: 'IntIntListEntryProto', kind: 'message', repeated: true, packed: false },
    { number: 4, name: 'shardedDim', protoName: 'sharded_dim', type: 'message', typeName: 'ShardedDimProto', kind: 'message', repeated: true, packed: false },
  ],
  SimpleShardedDimProto: [
    { number: 1, name: 'dimValue', protoName: 'dim_value', type: 'int64', kind: 'int64', repeated: false, packed: false, oneof: 'dim' },
    { number: 2, name: 'dimParam', protoName: 'dim_param', type: 'string', kind: 'string', repeated: false, packed: false, oneof: 'dim' },
    { number: 3, name: 'numShards', protoName: 'num_shards', type: 'int64', kind: 'int64', repeated: false, packed: false },
  ],
  SparseTensorProto: [
    { number: 1, name: 'values', protoName: 'values', type: 'message', typeName: 'TensorProto', kind: 'message', repeated: false, packed: false },
    { number: 2, name: 'indices', protoName: 'indices', type: 'message', typeName: 'TensorProto', kind: 'message', repeated: false, packed: false },
    { number: 3, name: 'dims', protoName: 'dims', type: 'int64', kind: 'int64', repeated: true, packed: false },
  ],
  StringStringEntryProto: [
    { number: 1, name: 'key', protoName: 'key', type: 'string', kind: 'string', repeated: false, packed: false },
    { number: 2, name: 'value', protoName: 'value', type: 'string', kind: 'string', repeated: false, packed: false },
  ],
  TensorAnnotation: [
    { number: 1, name: 'tensorName', protoName: 'tensor_name', type: 'string', kind: 'string', repeated: false, packed: false },
    { number: 2, name: 'quantParameterTensorNames', protoName: 'quant_parameter_tensor_names', type: 'message', typeName: 'StringStringEntryProto', kind: 'message', repeated: true, packed: false },
  ],
  TensorProto: [
    { number: 1, name: 'dims', protoName: 'dims', type: 'int64', kind: 'int64', repeated: true, packed: false },
    { number: 2, name: 'dataType', protoName: 'data_type', type: 'int32', kind: 'int32', repeated: false, packed: false },
    { number: 3, name: 'segment', protoName: 'segment', type: 'message', typeName: 'TensorProto.Segment', kind: 'message', repeated: false, packed: false },
    { number: 4, name: 'floatData', protoName: 'float_data', type: 'float', kind: 'float32-array', repeated: true, packed: true },
    { number: 5, name: 'int32Data', protoName: 'int32_data', type: 'int32', kind: 'int32-array', repeated: true, packed: true },
    { number: 6, name: 'stringData', protoName: 'string_data', type: 'bytes', kind: 'bytes', repeated: true, packed: false },
    { number: 7, name: 'int64Data', protoName: 'int64_data', type: 'int64', kind: 'int64-array', repeated: true, packed: true },
    { number: 8, name: 'name', protoName: 'name', type: 'string', kind: 'string', repeated: false, packed: false },
    { number: 9, name: 'rawData', protoName: 'raw_data', type: 'bytes', kind: 'bytes', repeated: false, packed: false },
    { number: 10, name: 'doubleData', protoName: 'double_data', type: 'double', kind: 'float64-array', repeated: true, packed: true },
    { number: 11, name: 'uint64Data', protoName: 'uint64_data', type: 'uint64', kind: 'uint64-array', repeated: true, packed: true },
    { number: 12, name: 'docString', protoName: 'doc_string', type: 'string', kind: 'string', repeated: false, packed: false },
    { number: 13, name: 'externalData', protoName: 'external_data', type: 'message', typeName: 'StringStringEntryProto', kind: 'message', repeated: true, packed: false },
    { number: 14, name: 'dataLocation', protoName: 'data_location', type: 'enum', typeName: 'TensorProto.DataLocation', kind: 'int32', repeated: false, packed: false },
    { number: 16, name: 'metadataProps', protoName: 'metadata_props', type: 'message', typeName: 'StringStringEntryProto', kind: 'message', repeated: true, packed: false },
  ],
  'TensorProto.Segment': [
    { number: 1, name: 'begin', protoName: 'begin', type: 'int64', kind: 'int64', repeated: false, packed: false },
    { number: 2, name: 'end', protoName: 'end', type: 'int64', kind: 'int64', repeated: false, packed: false },
  ],
  TensorShapeProto: [
    { number: 1, name: 'dim', protoName: 'dim', type: 'message', typeName: 'TensorShapeProto.Dimension', kind: 'message', repeated: true, packed: false },
  ],
  'TensorShapeProto.Dimension': [
    { number: 1, name: 'dimValue', protoName: 'dim_value', type: 'int64', kind: 'int64', repeated: false, packed: false, oneof: 'value' },
    { number: 2, name: 'dimParam', protoName: 'dim_param', type: 'string', kind: 'string', repeated: false, packed: false, oneof: 'value' },
    { number: 3, name: 'denotation', protoName: 'denotation', type: 'string', kind: 'string', repeated: false, packed: false },
  ],
  TrainingInfoProto: [
    { number: 1, name: 'initialization', protoName: 'initialization', type: 'message', typeName: 'GraphProto', kind: 'message', repeated: false, packed: false },
    { number: 2, name: 'algorithm', protoName: 'algorithm', type: 'message', typeName: 'GraphProto', kind: 'message', repeated: false, packed: false },
    { number: 3, name: 'initializationBinding', protoName: 'initialization_binding', type: 'message', typeName: 'StringStringEntryProto', kind: 'message', repeated: true, packed: false },
    { number: 4, name: 'updateBinding', protoName: 'update_binding', type: 'message', typeName: 'StringStringEntryProto', kind: 'message', repeated: true, packed: false },
  ],
  TypeProto: [
    { number: 1, name: 'tensorType', protoName: 'tensor_type', type: 'message', typeName: 'TypeProto.Tensor', kind: 'message', repeated: false, packed: false, oneof: 'value' },
    { number: 4, name: 'sequenceType', protoName: 'sequence_type', type: 'message', typeName: 'TypeProto.Sequence', kind: 'message', repeated: false, packed: false, oneof: 'value' },
    { number: 5, name: 'mapType', protoName: 'map_type', type: 'message', typeName: 'TypeProto.Map', kind: 'message', repeated: false, packed: false, oneof: 'value' },
    { number: 6, name: 'denotation', protoName: 'denotation', type: 'string', kind: 'string', repeated: false, packed: false },
    { number: 7, name: 'opaqueType', protoName: 'opaque_type', type: 'message', typeName: 'TypeProto.Opaque', kind: 'message', repeated: false, packed: false, oneof: 'value' },
    { number: 8, name: 'sparseTensorType', protoName: 'sparse_tensor_type', type: 'message', typeName: 'TypeProto.SparseTensor', kind: 'message', repeated: false, packed: false, oneof: 'value' },
    { number: 9, name: 'optionalType', protoName: 'optional_type', type: 'message', typeName: 'TypeProto.Optional', kind: 'message', repeated: false, packed: false, oneof: 'value' },
  ],
  'TypeProto.Map': [
    { number: 1, name: 'keyType', protoName: 'key_type', type: 'int32', kind: 'int32', repeated: false, packed: false },
    { number: 2, name: 'valueType', protoName: 'value_type', type: 'message', typeName: 'TypeProto', kind: 'message', repeated: false, packed: false },
  ],
  'TypeProto.Opaque': [
    { number: 1, name: 'domain', protoName: 'domain', type: 'string', kind: 'string', repeated: false, packed: false },
    { number: 2, name: 'name', protoName: 'name', type: 'string', kind: 'string', repeated: false, packed: false },
  ],
  'TypeProto.Optional': [
    { number: 1, name: 'elemType', protoName: 'elem_type', type: 'message', typeName: 'TypeProto', kind: 'message', repeated: false, packed: false },
  ],
  'TypeProto.Sequence': [
    { number: 1, name: 'elemType', protoName: 'elem_type', type: 'message', typeName: 'TypeProto', kind: 'message', repeated: false, packed: false },
  ],
  'TypeProto.SparseTensor': [
    { number: 1, name: 'elemType', protoName: 'elem_type', type: 'int32', kind: 'int32', repeated: false, packed: false },
    { number: 2, name: 'shape', protoName: 'shape', type: 'message', typeName: 'TensorShapeProto', kind: 'message', repeated: false, packed: false },
  ],
  'TypeProto.Tensor': [
    { number: 1, name: 'elemType', protoName: 'elem_type', type: 'int32', kind: 'int32', repeated: false, packed: false },
    { number: 2, name: 'shape', protoName: 'shape', type: 'message', typeName: 'TensorShapeProto', kind: 'message', repeated: false, packed: false },
  ],
  ValueInfoProto: [
    { number: 1, name: 'name', protoName: 'name', type: 'string', kind: 'string', repeated: false, packed: false },
    { number: 2, name: 'type', protoName: 'type', type: 'message', typeName: 'TypeProto', kind: 'message', repeated: false, packed: false },
    { number: 3, name: 'docString', protoName: 'doc_string', type: 'string', kind: 'string', repeated: false, packed: false },
    { number: 4, name: 'metadataProps', protoName: 'metadata_props', type: 'message', typeName: 'StringStringEntryProto', kind: 'message', repeated: true, packed: false },
  ],
};

/** The enums of onnx.proto (fields of enum type are int32 on the wire). */
export const onnxEnums = {
  'AttributeProto.AttributeType': {
    UNDEFINED: 0,
    FLOAT: 1,
    INT: 2,
    STRING: 3,
    TENSOR: 4,
    GRAPH: 5,
    SPARSE_TENSOR: 11,
    TYPE_PROTO: 13,
    FLOATS: 6,
    INTS: 7,
    STRINGS: 8,
    TENSORS: 9,
    GRAPHS: 10,
    SPARSE_TENSORS: 12,
    TYPE_PROTOS: 14,
  },
  OperatorStatus: {
    EXPERIMENTAL: 0,
    STABLE: 1,
  },
  'TensorProto.DataLocation': {
    DEFAULT: 0,
    EXTERNAL: 1,
  },
  'TensorProto.DataType': {
    UNDEFINED: 0,
    FLOAT: 1,
    UINT8: 2,
    INT8: 3,
    UINT16: 4,
    INT16: 5,
    INT32: 6,
    INT64: 7,
    STRING: 8,
    BOOL: 9,
    FLOAT16: 10,
    DOUBLE: 11,
    UINT32: 12,
    UINT64: 13,
    COMPLEX64: 14,
    COMPLEX128: 15,
    BFLOAT16: 16,
    FLOAT8E4M3FN: 17,
    FLOAT8E4M3FNUZ: 18,
    FLOAT8E5M2: 19,
    FLOAT8E5M2FNUZ: 20,
    UINT4: 21,
    INT4: 22,
    FLOAT4E2M1: 23,
    FLOAT8E8M0: 24,
    UINT2: 25,
    INT2: 26,
    FLOAT6E2M3: 27,
    FLOAT6E3M2: 28,
  },
  Version: {
    _START_VERSION: 0,
    IR_VERSION_2017_10_10: 1,
    IR_VERSION_2017_10_30: 2,
    IR_VERSION_2017_11_3: 3,
    IR_VERSION_2019_1_22: 4,
    IR_VERSION_2019_3_18: 5,
    IR_VERSION_2019_9_19: 6,
    IR_VERSION_2020_5_8: 7,
    IR_VERSION_2021_7_30: 8,
    IR_VERSION_2023_5_5: 9,
    IR_VERSION_2024_3_25: 10,
    IR_VERSION_2025_05_12: 11,
    IR_VERSION_2025_08_26: 12,
    IR_VERSION_2025_11_06: 13,
    IR_VERSION: 14,
  },
} as const;

/** `onnx.AttributeProto`. */
export interface AttributeProto extends UnknownFieldsCarrier {
  /** `name` = 1 */
  name?: string;
  /** `f` = 2 */
  f?: number;
  /** `i` = 3 */
  i?: Int64;
  /** `s` = 4 */
  s?: Uint8Array;
  /** `t` = 5 */
  t?: TensorProto;
  /** `g` = 6 */
  g?: GraphProto;
  /** `floats` = 7 */
  floats: number[];
  /** `ints` = 8 */
  ints: Int64[];
  /** `strings` = 9 */
  strings: Uint8Array[];
  /** `tensors` = 10 */
  tensors: TensorProto[];
  /** `graphs` = 11 */
  graphs: GraphProto[];
  /** `doc_string` = 13 */
  docString?: string;
  /** `tp` = 14 */
  tp?: TypeProto;
  /** `type_protos` = 15 */
  typeProtos: TypeProto[];
  /** `type` = 20 */
  type?: number;
  /** `ref_attr_name` = 21 */
  refAttrName?: string;
  /** `sparse_tensor` = 22 */
  sparseTensor?: SparseTensorProto;
  /** `sparse_tensors` = 23 */
  sparseTensors: SparseTensorProto[];
}

/** `onnx.DeviceConfigurationProto`. */
export interface DeviceConfigurationProto extends UnknownFieldsCarrier {
  /** `name` = 1 */
  name?: string;
  /** `num_devices` = 2 */
  numDevices?: number;
  /** `device` = 3 */
  device: string[];
}

/** `onnx.FunctionProto`. */
export interface FunctionProto extends UnknownFieldsCarrier {
  /** `name` = 1 */
  name?: string;
  /** `input` = 4 */
  input: string[];
  /** `output` = 5 */
  output: string[];
  /** `attribute` = 6 */
  attribute: string[];
  /** `node` = 7 */
  node: NodeProto[];
  /** `doc_string` = 8 */
  docString?: string;
  /** `opset_import` = 9 */
  opsetImport: OperatorSetIdProto[];
  /** `domain` = 10 */
  domain?: string;
  /** `attribute_proto` = 11 */
  attributeProto: AttributeProto[];
  /** `value_info` = 12 */
  valueInfo: ValueInfoProto[];
  /** `overload` = 13 */
  overload?: string;
  /** `metadata_props` = 14 */
  metadataProps: StringStringEntryProto[];
}

/** `onnx.GraphProto`. */
export interface GraphProto extends UnknownFieldsCarrier {
  /** `node` = 1 */
  node: NodeProto[];
  /** `name` = 2 */
  name?: string;
  /** `initializer` = 5 */
  initializer: TensorProto[];
  /** `doc_string` = 10 */
  docString?: string;
  /** `input` = 11 */
  input: ValueInfoProto[];
  /** `output` = 12 */
  output: ValueInfoProto[];
  /** `value_info` = 13 */
  valueInfo: ValueInfoProto[];
  /** `quantization_annotation` = 14 */
  quantizationAnnotation: TensorAnnotation[];
  /** `sparse_initializer` = 15 */
  sparseInitializer: SparseTensorProto[];
  /** `metadata_props` = 16 */
  metadataProps: StringStringEntryProto[];
}

/** `onnx.IntIntListEntryProto`. */
export interface IntIntListEntryProto extends UnknownFieldsCarrier {
  /** `key` = 1 */
  key?: Int64;
  /** `value` = 2 */
  value: Int64[];
}

/** `onnx.ModelProto`. */
export interface ModelProto extends UnknownFieldsCarrier {
  /** `ir_version` = 1 */
  irVersion?: number;
  /** `producer_name` = 2 */
  producerName?: string;
  /** `producer_version` = 3 */
  producerVersion?: string;
  /** `domain` = 4 */
  domain?: string;
  /** `model_version` = 5 */
  modelVersion?: Int64;
  /** `doc_string` = 6 */
  docString?: string;
  /** `graph` = 7 */
  graph?: GraphProto;
  /** `opset_import` = 8 */
  opsetImport: OperatorSetIdProto[];
  /** `metadata_props` = 14 */
  metadataProps: StringStringEntryProto[];
  /** `training_info` = 20 */
  trainingInfo: TrainingInfoProto[];
  /** `functions` = 25 */
  functions: FunctionProto[];
  /** `configuration` = 26 */
  configuration: DeviceConfigurationProto[];
}

/** `onnx.NodeDeviceConfigurationProto`. */
export interface NodeDeviceConfigurationProto extends UnknownFieldsCarrier {
  /** `configuration_id` = 1 */
  configurationId?: string;
  /** `sharding_spec` = 2 */
  shardingSpec: ShardingSpecProto[];
  /** `pipeline_stage` = 3 */
  pipelineStage?: number;
}

/** `onnx.NodeProto`. */
export interface NodeProto extends UnknownFieldsCarrier {
  /** `input` = 1 */
  input: string[];
  /** `output` = 2 */
  output: string[];
  /** `name` = 3 */
  name?: string;
  /** `op_type` = 4 */
  opType?: string;
  /** `attribute` = 5 */
  attribute: AttributeProto[];
  /** `doc_string` = 6 */
  docString?: string;
  /** `domain` = 7 */
  domain?: string;
  /** `overload` = 8 */
  overload?: string;
  /** `metadata_props` = 9 */
  metadataProps: StringStringEntryProto[];
  /** `device_configurations` = 10 */
  deviceConfigurations: NodeDeviceConfigurationProto[];
}

/** `onnx.OperatorSetIdProto`. */
export interface OperatorSetIdProto extends UnknownFieldsCarrier {
  /** `domain` = 1 */
  domain?: string;
  /** `version` = 2 */
  version?: number;
}

/** `onnx.ShardedDimProto`. */
export interface ShardedDimProto extends UnknownFieldsCarrier {
  /** `axis` = 1 */
  axis?: Int64;
  /** `simple_sharding` = 2 */
  simpleSharding: SimpleShardedDimProto[];
}

/** `onnx.ShardingSpecProto`. */
export interface ShardingSpecProto extends UnknownFieldsCarrier {
  /** `tensor_name` = 1 */
  tensorName?: string;
  /** `device` = 2 */
  device: Int64[];
  /** `index_to_device_group_map` = 3 */
  indexToDeviceGroupMap: IntIntListEntryProto[];
  /** `sharded_dim` = 4 */
  shardedDim: ShardedDimProto[];
}

/** `onnx.SimpleShardedDimProto` (oneof `dim`: dim_value, dim_param). */
export interface SimpleShardedDimProto extends UnknownFieldsCarrier {
  /** `dim_value` = 1 */
  dimValue?: Int64;
  /** `dim_param` = 2 */
  dimParam?: string;
  /** `num_shards` = 3 */
  numShards?: Int64;
}

/** `onnx.SparseTensorProto`. */
export interface SparseTensorProto extends UnknownFieldsCarrier {
  /** `values` = 1 */
  values?: TensorProto;
  /** `indices` = 2 */
  indices?: TensorProto;
  /** `dims` = 3 */
  dims: number[];
}

/** `onnx.StringStringEntryProto`. */
export interface StringStringEntryProto extends UnknownFieldsCarrier {
  /** `key` = 1 */
  key?: string;
  /** `value` = 2 */
  value?: string;
}

/** `onnx.TensorAnnotation`. */
export interface TensorAnnotation extends UnknownFieldsCarrier {
  /** `tensor_name` = 1 */
  tensorName?: string;
  /** `quant_parameter_tensor_names` = 2 */
  quantParameterTensorNames: StringStringEntryProto[];
}

/** `onnx.TensorProto`. */
export interface TensorProto extends UnknownFieldsCarrier {
  /** `dims` = 1 */
  dims: number[];
  /** `data_type` = 2 */
  dataType?: number;
  /** `segment` = 3 */
  segment?: TensorSegmentProto;
  /** `float_data` = 4 */
  floatData: Float32Array;
  /** `int32_data` = 5 */
  int32Data: Int32Array;
  /** `string_data` = 6 */
  stringData: Uint8Array[];
  /** `int64_data` = 7 */
  int64Data: BigInt64Array;
  /** `name` = 8 */
  name?: string;
  /** `raw_data` = 9 */
  rawData?: Uint8Array;
  /** `double_data` = 10 */
  doubleData: Float64Array;
  /** `uint64_data` = 11 */
  uint64Data: BigUint64Array;
  /** `doc_string` = 12 */
  docString?: string;
  /** `external_data` = 13 */
  externalData: StringStringEntryProto[];
  /** `data_location` = 14 */
  dataLocation?: number;
  /** `metadata_props` = 16 */
  metadataProps: StringStringEntryProto[];
}

/** `onnx.TensorProto.Segment`. */
export interface TensorSegmentProto extends UnknownFieldsCarrier {
  /** `begin` = 1 */
  begin?: Int64;
  /** `end` = 2 */
  end?: Int64;
}

/** `onnx.TensorShapeProto`. */
export interface TensorShapeProto extends UnknownFieldsCarrier {
  /** `dim` = 1 */
  dim: TensorShapeDimension[];
}

/** `onnx.TensorShapeProto.Dimension` (oneof `value`: dim_value, dim_param). */
export interface TensorShapeDimension extends UnknownFieldsCarrier {
  /** `dim_value` = 1 */
  dimValue?: number;
  /** `dim_param` = 2 */
  dimParam?: string;
  /** `denotation` = 3 */
  denotation?: string;
}

/** `onnx.TrainingInfoProto`. */
export interface TrainingInfoProto extends UnknownFieldsCarrier {
  /** `initialization` = 1 */
  initialization?: GraphProto;
  /** `algorithm` = 2 */
  algorithm?: GraphProto;
  /** `initialization_binding` = 3 */
  initializationBinding: StringStringEntryProto[];
  /** `update_binding` = 4 */
  updateBinding: StringStringEntryProto[];
}

/** `onnx.TypeProto` (oneof `value`: tensor_type, sequence_type, map_type, optional_type, sparse_tensor_type, opaque_type). */
export interface TypeProto extends UnknownFieldsCarrier {
  /** `tensor_type` = 1 */
  tensorType?: TypeProtoTensor;
  /** `sequence_type` = 4 */
  sequenceType?: TypeProtoSequence;
  /** `map_type` = 5 */
  mapType?: TypeProtoMap;
  /** `denotation` = 6 */
  denotation?: string;
  /** `opaque_type` = 7 */
  opaqueType?: TypeProtoOpaque;
  /** `sparse_tensor_type` = 8 */
  sparseTensorType?: TypeProtoSparseTensor;
  /** `optional_type` = 9 */
  optionalType?: TypeProtoOptional;
}

/** `onnx.TypeProto.Map`. */
export interface TypeProtoMap extends UnknownFieldsCarrier {
  /** `key_type` = 1 */
  keyType?: number;
  /** `value_type` = 2 */
  valueType?: TypeProto;
}

/** `onnx.TypeProto.Opaque`. */
export interface TypeProtoOpaque extends UnknownFieldsCarrier {
  /** `domain` = 1 */
  domain?: string;
  /** `name` = 2 */
  name?: string;
}

/** `onnx.TypeProto.Optional`. */
export interface TypeProtoOptional extends UnknownFieldsCarrier {
  /** `elem_type` = 1 */
  elemType?: TypeProto;
}

/** `onnx.TypeProto.Sequence`. */
export interface TypeProtoSequence extends UnknownFieldsCarrier {
  /** `elem_type` = 1 */
  elemType?: TypeProto;
}

/** `onnx.TypeProto.SparseTensor`. */
export interface TypeProtoSparseTensor extends UnknownFieldsCarrier {
  /** `elem_type` = 1 */
  elemType?: number;
  /** `shape` = 2 */
  shape?: TensorShapeProto;
}

/** `onnx.TypeProto.Tensor`. */
export interface TypeProtoTensor extends UnknownFieldsCarrier {
  /** `elem_type` = 1 */
  elemType?: number;
  /** `shape` = 2 */
  shape?: TensorShapeProto;
}

/** `onnx.ValueInfoProto`. */
export interface ValueInfoProto extends UnknownFieldsCarrier {
  /** `name` = 1 */
  name?: string;
  /** `type` = 2 */
  type?: TypeProto;
  /** `doc_string` = 3 */
  docString?: string;
  /** `metadata_props` = 4 */
  metadataProps: StringStringEntryProto[];
}
