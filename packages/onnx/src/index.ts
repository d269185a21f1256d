// @gpux/onnx: ONNX model IO with no native or Python dependencies.
export { OnnxError } from './onnx-error';
export type { OnnxErrorCode, OnnxErrorOptions } from './onnx-error';
// Load and save (streamed, external data kept where it is)
export { loadOnnxModel, loadOnnxModelFromBuffer, onnxModelSourcePath } from './load-onnx-model';
export type { LoadedOnnxModel, LoadOnnxModelOptions, LoadOnnxModelFromBufferOptions, OnnxModelOrigin } from './load-onnx-model';
export { saveOnnxModel, saveOnnxModelIter, serializeOnnxModel } from './save-onnx-model';
export type { SaveOnnxModelEvent, SaveOnnxModelOptions, SaveOnnxModelResult } from './save-onnx-model';
export { inspectOnnxModel } from './inspect-onnx-model';
export type { InspectOnnxModelOptions, OnnxModelInspection, OnnxValueSummary } from './inspect-onnx-model';
// Model types
export { AttributeType } from './onnx-types';
export type {
  AttributeProto,
  FunctionProto,
  GraphProto,
  Int64,
  ModelProto,
  NodeProto,
  OperatorSetIdProto,
  SparseTensorProto,
  StringStringEntryProto,
  TensorProto,
  TensorShapeDimension,
  TensorShapeProto,
  TrainingInfoProto,
  TypeProto,
  ValueInfoProto,
} from './onnx-types';
// Data types, tensors, float16
export { DATA_TYPE_NAMES, DataType, dataTypeBits, dataTypeByteLength, dataTypeFromName, dataTypeName } from './data-type';
export type { DataTypeName } from './data-type';
export { createTensor, tensorElementCount, tensorRawBytes, tensorToTypedArray } from './tensor-data';
export type { TensorToTypedArrayOptions, TensorTypedArray, TensorValues } from './tensor-data';
export { bfloat16BitsToFloat32, float16BitsToFloat32, float32ToBfloat16Bits, float32ToFloat16Bits } from './float16';
export { externalDataInfo, externalDataSource, isExternalTensor, readExternalTensorBytes, readExternalTensorBytesSync } from './external-data';
export type { ExternalDataInfo, ExternalDataSource, ExternalTensorProto } from './external-data';
// Graph helpers
export {
  getAttribute,
  getAttributeValue,
  getFloatAttribute,
  getFloatsAttribute,
  getIntAttribute,
  getIntsAttribute,
  getStringAttribute,
  makeAttribute,
  removeAttribute,
  setAttribute,
} from './attributes';
export type { AttributeTypeName, AttributeValue } from './attributes';
export { makeGraph, makeModel, makeNode, makeValueInfo } from './make-node';
export type { MakeGraphOptions, MakeModelOptions, MakeNodeOptions } from './make-node';
export { buildTensorUsage, nodeInputNames, outerScopeReferences, sortGraphTopologically, topologicalSort } from './graph-topology';
export type { TensorUsage } from './graph-topology';
export { attributeGraphs, forEachNode, forEachTensor } from './walk-model';
export type { TensorRole, WalkLocation } from './walk-model';
// Symbolic dims
export { checkStaticShapes, fixSymbolicDims, parseStaticShapes } from './fix-symbolic-dims';
export { dimExpressionNames, evaluateDimExpression, isDimExpression } from './dim-expression';
export type { FixSymbolicDimsOptions, FixSymbolicDimsResult } from './fix-symbolic-dims';
