/**
 * Element types of a graph's tensors, for the float16 converter: declared types (inputs,
 * outputs, value_info, initializers) first, then a forward propagation over the nodes with
 * per-operator rules. Names whose type cannot be told stay absent.
 */
import type { GraphProto, NodeProto } from '@gpux/onnx';
import { DataType, getAttribute, getIntAttribute } from '@gpux/onnx';

const BOOLEAN_OUTPUT = new Set(['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'Not', 'And', 'Or', 'Xor', 'IsNaN', 'IsInf']);
const INT64_OUTPUT = new Set(['Shape', 'Size', 'NonZero', 'ArgMax', 'ArgMin', 'NonMaxSuppression']);

/** Maps each tensor name to its `TensorProto.DataType` number where it can be told. */
export function inferElementTypes(graph: GraphProto): Map<string, number> {
  const types = new Map<string, number>();
  for (const tensor of graph.initializer) if (tensor.name !== undefined && tensor.dataType !== undefined) types.set(tensor.name, tensor.dataType);
  for (const value of [...graph.input, ...graph.valueInfo, ...graph.output]) {
    const elemType = value.type?.tensorType?.elemType;
    if (value.name !== undefined && elemType !== undefined && elemType !== 0) types.set(value.name, elemType);
  }
  for (const node of graph.node) {
    const outputs = outputTypes(node, (name) => types.get(name));
    node.output.forEach((name, index) => {
      const type = outputs[index];
      if (name !== '' && type !== undefined && !types.has(name)) types.set(name, type);
    });
  }
  return types;
}

function outputTypes(node: NodeProto, typeOf: (name: string) => number | undefined): Array<number | undefined> {
  const operator = node.opType ?? '';
  const input = (index: number): number | undefined => typeOf(node.input[index] ?? '');
  const count = node.output.length;
  const all = (type: number | undefined): Array<number | undefined> => new Array<number | undefined>(count).fill(type);
  const domain = node.domain ?? '';
  if (domain === 'com.microsoft') {
    if (operator === 'EmbedLayerNormalization') return [input(2), DataType.INT32, input(2)];
    if (operator === 'DynamicQuantizeMatMul' || operator === 'MatMulIntegerToFloat' || operator === 'MatMulNBits') return [input(operator === 'MatMulNBits' ? 0 : 2)];
    return all(input(0));
  }
  if (domain !== '' && domain !== 'ai.onnx') return all(undefined);
  if (BOOLEAN_OUTPUT.has(operator)) return all(DataType.BOOL);
  if (INT64_OUTPUT.has(operator)) return all(DataType.INT64);
  switch (operator) {
    case 'Cast':
      return [getIntAttribute(node, 'to')];
    case 'CastLike':
      return [input(1)];
    case 'Constant': {
      const tensor = getAttribute(node, 'value')?.t;
      if (tensor !== undefined) return [tensor.dataType];
      if (getAttribute(node, 'value_float') !== undefined || getAttribute(node, 'value_floats') !== undefined) return [DataType.FLOAT32];
      if (getAttribute(node, 'value_int') !== undefined || getAttribute(node, 'value_ints') !== undefined) return [DataType.INT64];
      return [undefined];
    }
    case 'ConstantOfShape':
      return [getAttribute(node, 'value')?.t?.dataType ?? DataType.FLOAT32];
    case 'EyeLike':
      return [getIntAttribute(node, 'dtype') ?? input(0)];
    case 'RandomNormal':
    case 'RandomUniform':
      return [getIntAttribute(node, 'dtype', DataType.FLOAT32)];
    case 'RandomNormalLike':
    case 'RandomUniformLike':
      return [getIntAttribute(node, 'dtype') ?? input(0)];
    case 'Where':
      return [input(1)];
    case 'TopK':
      return [input(0), DataType.INT64];
    case 'Unique':
      return [input(0), DataType.INT64, DataType.INT64, DataType.INT64];
    case 'Dropout':
      return [input(0), DataType.BOOL];
    case 'QuantizeLinear':
      return [input(2) ?? DataType.UINT8];
    case 'DequantizeLinear':
      return [input(1)];
    case 'DynamicQuantizeLinear':
      return [DataType.UINT8, DataType.FLOAT32, DataType.UINT8];
    case 'MatMulInteger':
    case 'ConvInteger':
      return [DataType.INT32];
    case 'QLinearMatMul':
    case 'QLinearConv':
      return [input(7)];
    case 'If':
    case 'Loop':
    case 'Scan': {
      const body = getAttribute(node, operator === 'If' ? 'then_branch' : 'body')?.g;
      if (body === undefined) return all(undefined);
      const offset = operator === 'Loop' ? 1 : 0;
      return node.output.map((_, index) => body.output[index + offset]?.type?.tensorType?.elemType);
    }
    default:
      return all(node.input.length === 0 ? undefined : input(0));
  }
}
