/**
 * The lowest ONNX IR version a model's content needs, from the IR history in onnx.proto
 * (https://github.com/onnx/onnx/blob/main/onnx/onnx.proto, enum Version): IR 9 added float8 types
 * and FunctionProto attribute defaults; IR 10 uint4/int4, `overload` and metadata_props on more
 * messages; IR 11 float4e2m1 and the multi-device messages; IR 12 float8e8m0; IR 13 uint2/int2.
 */
import type { GraphProto, ModelProto, TensorProto, TypeProto } from '@gpux/onnx';
import { AttributeType, attributeGraphs } from '@gpux/onnx';

/** Any ONNX message object, which may carry raw bytes of fields unknown to the schema. */
interface UnknownFieldsCarrierLike {
  unknownFields?: Uint8Array[];
}

const DATA_TYPE_IR: Record<number, number> = { 17: 9, 18: 9, 19: 9, 20: 9, 21: 10, 22: 10, 23: 11, 24: 12, 25: 13, 26: 13, 27: 13, 28: 13 };

/** A feature that needs a minimum IR version. */
export interface IrFeature {
  irVersion: number;
  feature: string;
}

/**
 * The features of `model` that need an IR version above 8, the highest such version, and whether
 * fields unknown to this library were found (then the model's IR version cannot safely be lowered).
 */
export function requiredIrVersion(model: ModelProto): { irVersion: number; features: IrFeature[]; unknownFields: boolean } {
  const features = new Map<string, number>();
  let unknownFields = false;
  const note = (irVersion: number, feature: string): void => {
    if (irVersion > 8 && !features.has(feature)) features.set(feature, irVersion);
  };
  const carrier = (message: UnknownFieldsCarrierLike | undefined): void => {
    if ((message?.unknownFields?.length ?? 0) > 0) unknownFields = true;
  };
  const dataType = (type: number | undefined): void => {
    const irVersion = type === undefined ? undefined : DATA_TYPE_IR[type];
    if (irVersion !== undefined) note(irVersion, `element type ${type}`);
  };
  const tensor = (value: TensorProto): void => {
    carrier(value);
    dataType(value.dataType);
    if (value.metadataProps.length > 0) note(10, 'tensor metadata_props');
  };
  const typeProto = (type: TypeProto | undefined): void => {
    if (type === undefined) return;
    carrier(type);
    dataType(type.tensorType?.elemType ?? type.sparseTensorType?.elemType);
    typeProto(type.sequenceType?.elemType);
    typeProto(type.optionalType?.elemType);
    typeProto(type.mapType?.valueType);
  };
  const graph = (value: GraphProto): void => {
    carrier(value);
    if (value.metadataProps.length > 0) note(10, 'graph metadata_props');
    value.initializer.forEach(tensor);
    for (const info of [...value.input, ...value.output, ...value.valueInfo]) {
      carrier(info);
      typeProto(info.type);
      if (info.metadataProps.length > 0) note(10, 'value_info metadata_props');
    }
    for (const node of value.node) {
      carrier(node);
      if (node.overload !== undefined && node.overload !== '') note(10, 'node overload');
      if (node.metadataProps.length > 0) note(10, 'node metadata_props');
      if (node.deviceConfigurations.length > 0) note(11, 'node device_configurations');
      for (const attribute of node.attribute) {
        carrier(attribute);
        if (attribute.t !== undefined) tensor(attribute.t);
        attribute.tensors.forEach(tensor);
        if (attribute.type === AttributeType.INT && attribute.name === 'to' && node.opType === 'Cast') dataType(Number(attribute.i ?? 0));
        attributeGraphs(attribute).forEach(graph);
      }
    }
  };
  carrier(model);
  if (model.graph !== undefined) graph(model.graph);
  if (model.configuration.length > 0) note(11, 'model configuration (multi-device)');
  for (const training of model.trainingInfo) {
    if (training.initialization !== undefined) graph(training.initialization);
    if (training.algorithm !== undefined) graph(training.algorithm);
  }
  for (const localFunction of model.functions) {
    carrier(localFunction);
    if (localFunction.attributeProto.length > 0) note(9, 'function attribute defaults');
    if (localFunction.overload !== undefined && localFunction.overload !== '') note(10, 'function overload');
    if (localFunction.metadataProps.length > 0) note(10, 'function metadata_props');
    graph({ node: localFunction.node, initializer: [], input: [], output: [], valueInfo: localFunction.valueInfo, quantizationAnnotation: [], sparseInitializer: [], metadataProps: [] });
  }
  const list = [...features].map(([feature, irVersion]) => ({ feature, irVersion })).sort((a, b) => b.irVersion - a.irVersion);
  return { irVersion: Math.max(3, ...list.map((entry) => entry.irVersion)), features: list, unknownFields };
}
