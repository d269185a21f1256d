/**
 * The ONNX protobuf messages (onnx.proto, IR version 11 / onnx 1.23) as plain, editable objects.
 * Field names are the proto names in camelCase. Repeated fields are always arrays (empty when the
 * file had none). A singular field is `undefined` when the file did not set it, so a field the file
 * set to its default value is written back as it was. Fields the schema does not know survive in
 * `unknownFields` (raw wire bytes, written back unchanged after the known fields).
 *
 * int64 values are `number` when they fit in a double exactly and `bigint` otherwise (`Int64`).
 * Shapes, IR and opset versions are always `number`.
 */

/** An int64 value: a number when it is a safe integer, else a bigint. */
export type Int64 = number | bigint;

/** Raw wire bytes of fields the schema does not know, kept per message. */
export interface UnknownFieldsCarrier {
  unknownFields?: Uint8Array[];
}

export interface StringStringEntryProto extends UnknownFieldsCarrier {
  key?: string;
  value?: string;
}

export interface OperatorSetIdProto extends UnknownFieldsCarrier {
  domain?: string;
  version?: number;
}

export interface TensorSegmentProto extends UnknownFieldsCarrier {
  begin?: Int64;
  end?: Int64;
}

export interface TensorProto extends UnknownFieldsCarrier {
  dims: number[];
  /** A `TensorProto.DataType` number; see {@link dataTypeName}. */
  dataType?: number;
  segment?: TensorSegmentProto;
  floatData: Float32Array;
  int32Data: Int32Array;
  stringData: Uint8Array[];
  int64Data: BigInt64Array;
  name?: string;
  docString?: string;
  /** A view into the loaded file's buffer (zero-copy); may sit at any byteOffset. */
  rawData?: Uint8Array;
  externalData: StringStringEntryProto[];
  /** 0 = DEFAULT, 1 = EXTERNAL. */
  dataLocation?: number;
  doubleData: Float64Array;
  uint64Data: BigUint64Array;
  metadataProps: StringStringEntryProto[];
}

export interface SparseTensorProto extends UnknownFieldsCarrier {
  values?: TensorProto;
  indices?: TensorProto;
  dims: number[];
}

export interface TensorShapeDimension extends UnknownFieldsCarrier {
  dimValue?: number;
  dimParam?: string;
  denotation?: string;
}

export interface TensorShapeProto extends UnknownFieldsCarrier {
  dim: TensorShapeDimension[];
}

export interface TypeProtoTensor extends UnknownFieldsCarrier {
  elemType?: number;
  shape?: TensorShapeProto;
}

export interface TypeProtoSequence extends UnknownFieldsCarrier {
  elemType?: TypeProto;
}

export interface TypeProtoMap extends UnknownFieldsCarrier {
  keyType?: number;
  valueType?: TypeProto;
}

export interface TypeProtoOptional extends UnknownFieldsCarrier {
  elemType?: TypeProto;
}

export interface TypeProtoOpaque extends UnknownFieldsCarrier {
  domain?: string;
  name?: string;
}

/** A value's type; exactly one of the `*Type` fields is set. */
export interface TypeProto extends UnknownFieldsCarrier {
  tensorType?: TypeProtoTensor;
  sequenceType?: TypeProtoSequence;
  mapType?: TypeProtoMap;
  denotation?: string;
  opaqueType?: TypeProtoOpaque;
  sparseTensorType?: TypeProtoTensor;
  optionalType?: TypeProtoOptional;
}

export interface ValueInfoProto extends UnknownFieldsCarrier {
  name?: string;
  type?: TypeProto;
  docString?: string;
  metadataProps: StringStringEntryProto[];
}

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

export interface AttributeProto extends UnknownFieldsCarrier {
  name?: string;
  f?: number;
  i?: Int64;
  /** UTF-8 bytes for STRING attributes. */
  s?: Uint8Array;
  t?: TensorProto;
  g?: GraphProto;
  floats: number[];
  ints: Int64[];
  strings: Uint8Array[];
  tensors: TensorProto[];
  graphs: GraphProto[];
  docString?: string;
  tp?: TypeProto;
  typeProtos: TypeProto[];
  /** An {@link AttributeType} number. */
  type?: number;
  refAttrName?: string;
  sparseTensor?: SparseTensorProto;
  sparseTensors: SparseTensorProto[];
}

export interface IntIntListEntryProto extends UnknownFieldsCarrier {
  key?: Int64;
  value: Int64[];
}

export interface SimpleShardedDimProto extends UnknownFieldsCarrier {
  dimValue?: Int64;
  dimParam?: string;
  numShards?: Int64;
}

export interface ShardedDimProto extends UnknownFieldsCarrier {
  axis?: Int64;
  simpleSharding: SimpleShardedDimProto[];
}

export interface ShardingSpecProto extends UnknownFieldsCarrier {
  tensorName?: string;
  device: Int64[];
  indexToDeviceGroupMap: IntIntListEntryProto[];
  shardedDim: ShardedDimProto[];
}

export interface NodeDeviceConfigurationProto extends UnknownFieldsCarrier {
  configurationId?: string;
  shardingSpec: ShardingSpecProto[];
  pipelineStage?: number;
}

export interface NodeProto extends UnknownFieldsCarrier {
  input: string[];
  output: string[];
  name?: string;
  opType?: string;
  attribute: AttributeProto[];
  docString?: string;
  domain?: string;
  overload?: string;
  metadataProps: StringStringEntryProto[];
  deviceConfigurations: NodeDeviceConfigurationProto[];
}

export interface TensorAnnotation extends UnknownFieldsCarrier {
  tensorName?: string;
  quantParameterTensorNames: StringStringEntryProto[];
}

export interface GraphProto extends UnknownFieldsCarrier {
  node: NodeProto[];
  name?: string;
  initializer: TensorProto[];
  docString?: string;
  input: ValueInfoProto[];
  output: ValueInfoProto[];
  valueInfo: ValueInfoProto[];
  quantizationAnnotation: TensorAnnotation[];
  sparseInitializer: SparseTensorProto[];
  metadataProps: StringStringEntryProto[];
}

export interface TrainingInfoProto extends UnknownFieldsCarrier {
  initialization?: GraphProto;
  algorithm?: GraphProto;
  initializationBinding: StringStringEntryProto[];
  updateBinding: StringStringEntryProto[];
}

export interface FunctionProto extends UnknownFieldsCarrier {
  name?: string;
  input: string[];
  output: string[];
  attribute: string[];
  node: NodeProto[];
  docString?: string;
  opsetImport: OperatorSetIdProto[];
  domain?: string;
  attributeProto: AttributeProto[];
  valueInfo: ValueInfoProto[];
  overload?: string;
  metadataProps: StringStringEntryProto[];
}

export interface DeviceConfigurationProto extends UnknownFieldsCarrier {
  name?: string;
  numDevices?: number;
  device: string[];
}

export interface ModelProto extends UnknownFieldsCarrier {
  irVersion?: number;
  producerName?: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: Int64;
  docString?: string;
  graph?: GraphProto;
  opsetImport: OperatorSetIdProto[];
  metadataProps: StringStringEntryProto[];
  trainingInfo: TrainingInfoProto[];
  functions: FunctionProto[];
  configuration: DeviceConfigurationProto[];
}
