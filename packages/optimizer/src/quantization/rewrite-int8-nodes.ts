/**
 * Rewrites MatMul, Gemm, Conv and Gather nodes to 8-bit forms.
 *
 * QOperator (what onnxruntime's `quantize_dynamic` writes, checked against onnxruntime 1.32):
 * `DynamicQuantizeLinear(x)` -> `MatMulInteger` / `ConvInteger` -> `Cast(float)` -> `Mul(x_scale * w_scale)`
 * (+ `Add(bias)` for Gemm/Conv). QDQ: `DequantizeLinear` of the quantized weight and, for
 * activations, `DynamicQuantizeLinear` + `DequantizeLinear` (dynamic) or `QuantizeLinear` +
 * `DequantizeLinear` with calibrated parameters (static), in front of the unchanged node.
 * Gather (both formats): gather from the quantized table, then `DequantizeLinear`.
 */
import type { NodeProto, TensorProto } from '@gpux/onnx';
import { DataType, getFloatAttribute, getIntAttribute } from '@gpux/onnx';
import { computeScaleZeroPoint, integerRange, type QuantizedIntegerType } from './quantization-math';
import type { QuantizationGraph } from './quantization-graph';
import { quantizeWeight, type QuantizedWeight } from './quantize-weight';

/** How {@link rewriteInt8Node} quantizes. */
export interface Int8RewriteSettings {
  format: 'qoperator' | 'qdq';
  weightType: QuantizedIntegerType;
  perChannel: boolean;
  reduceRange: boolean;
  /** Default-domain opset of the model (per-axis DequantizeLinear needs 13). */
  opset: number;
  /** Static quantization: calibrated activation ranges by tensor name. Dynamic when absent. */
  activationRanges?: ReadonlyMap<string, { min: number; max: number }>;
  notes: string[];
}

/** A quantized initializer: its name, values and dims. */
export interface WeightEntry {
  name: string;
  weight: QuantizedWeight;
  dims: number[];
}

function transpose2d(values: Float32Array, rows: number, columns: number): Float32Array {
  const result = new Float32Array(values.length);
  for (let row = 0; row < rows; row += 1) for (let column = 0; column < columns; column += 1) result[column * rows + row] = values[row * columns + column]!;
  return result;
}

/** Quantizes an initializer once per (axis, transpose, type); the float values are dropped right after. */
export function quantizedInitializer(graph: QuantizationGraph, tensor: TensorProto, axis: number | undefined, transpose: boolean, settings: Pick<Int8RewriteSettings, 'weightType' | 'reduceRange'>, symmetric?: boolean): WeightEntry {
  const tensorName = tensor.name ?? '';
  const key = `weight|${tensorName}|${String(axis)}|${String(transpose)}|${settings.weightType}|${String(symmetric)}`;
  return graph.once(key, () => {
    let values = graph.readFloat(tensor);
    let dims = tensor.dims.map(Number);
    if (transpose) {
      values = transpose2d(values, dims[0]!, dims[1]!);
      dims = [dims[1]!, dims[0]!];
    }
    const weight = quantizeWeight(values, dims, { type: settings.weightType, axis, reduceRange: settings.reduceRange, symmetric });
    const type = settings.weightType === 'int8' ? DataType.INT8 : DataType.UINT8;
    const name = graph.addInitializer(`${tensorName}${transpose ? '_transposed' : ''}_quantized`, type, dims, weight.values);
    return { name, weight, dims };
  });
}

/** A scale (times `factor`) and zero point initializer pair of a weight, shaped `dims`. */
export function weightParameters(graph: QuantizationGraph, entry: WeightEntry, dims: number[], factor = 1): { scale: string; zeroPoint: string } {
  return graph.once(`params|${entry.name}|${dims.join(',')}|${factor}`, () => {
    const scales = factor === 1 ? entry.weight.scales : entry.weight.scales.map((value) => Math.fround(value * factor));
    const zeroType = entry.weight.zeroPoints instanceof Int8Array ? DataType.INT8 : DataType.UINT8;
    return {
      scale: graph.addInitializer(`${entry.name}_scale`, DataType.FLOAT32, dims, scales),
      zeroPoint: graph.addInitializer(`${entry.name}_zero_point`, zeroType, dims, entry.weight.zeroPoints),
    };
  });
}

/** Outputs of `DynamicQuantizeLinear(x)`, created once per activation. */
export function dynamicActivation(graph: QuantizationGraph, input: string): { quantized: string; scale: string; zeroPoint: string } {
  return graph.once(`dynamic|${input}`, () => {
    const names = { quantized: graph.uniqueName(`${input}_quantized`), scale: graph.uniqueName(`${input}_scale`), zeroPoint: graph.uniqueName(`${input}_zero_point`) };
    graph.node('DynamicQuantizeLinear', [input], [names.quantized, names.scale, names.zeroPoint], `${input}_DynamicQuantizeLinear`);
    return names;
  });
}

/** The dequantized (fake-quantized) activation for QDQ, or undefined when a static range is missing. */
function qdqActivation(graph: QuantizationGraph, input: string, settings: Int8RewriteSettings): string | undefined {
  const ranges = settings.activationRanges;
  if (ranges !== undefined && !ranges.has(input)) return undefined;
  return graph.once(`qdq-activation|${input}`, () => {
    const output = graph.uniqueName(`${input}_dequantized`);
    if (ranges === undefined) {
      const dynamic = dynamicActivation(graph, input);
      graph.node('DequantizeLinear', [dynamic.quantized, dynamic.scale, dynamic.zeroPoint], [output], `${input}_DequantizeLinear`);
      return output;
    }
    const range = ranges.get(input)!;
    const parameters = computeScaleZeroPoint(range.min, range.max, integerRange('uint8', false, false), false);
    const scale = graph.addInitializer(`${input}_scale`, DataType.FLOAT32, [], [parameters.scale]);
    const zeroPoint = graph.addInitializer(`${input}_zero_point`, DataType.UINT8, [], [parameters.zeroPoint]);
    const quantized = graph.uniqueName(`${input}_quantized`);
    graph.node('QuantizeLinear', [input, scale, zeroPoint], [quantized], `${input}_QuantizeLinear`);
    graph.node('DequantizeLinear', [quantized, scale, zeroPoint], [output], `${input}_DequantizeLinear`);
    return output;
  });
}

/** Table settings: uint8 with a zero point (shared by a Gather and a tied `MatMul(x, Transpose(table))`). */
export const TABLE_SETTINGS = { weightType: 'uint8', reduceRange: false } as const;

/** `Transpose(perm [1, 0])` of a tensor, created once per tensor. */
function transposedOnce(graph: QuantizationGraph, input: string): string {
  return graph.once(`transpose|${input}`, () => {
    const output = graph.uniqueName(`${input}_transposed`);
    graph.node('Transpose', [input], [output], `${input}_Transpose`, { perm: [1, 0] });
    return output;
  });
}

/** The weight's channel axis for per-channel quantization, as stored (before any transpose). */
function channelAxis(node: NodeProto): number {
  if (node.opType === 'Conv') return 0;
  if (node.opType === 'Gemm') return getIntAttribute(node, 'transB', 0) === 1 ? 0 : 1;
  return 1;
}

function rewriteGather(graph: QuantizationGraph, node: NodeProto): void {
  // Tables are uint8 with a zero point whatever the weight type, as onnxruntime's GatherQuant writes them
  // (it quantizes the table with the activation type, uint8); a table shared with a MatMul then gets its own copy.
  const entry = quantizedInitializer(graph, graph.floatInitializer(node.input[0])!, undefined, false, TABLE_SETTINGS, false);
  const parameters = weightParameters(graph, entry, []);
  const gathered = graph.uniqueName(`${node.output[0]!}_quantized`);
  graph.output.push({ ...node, input: [entry.name, ...node.input.slice(1)], output: [gathered] });
  graph.node('DequantizeLinear', [gathered, parameters.scale, parameters.zeroPoint], [node.output[0]!], `${node.name ?? node.output[0]!}_DequantizeLinear`);
}

function rewriteQdq(graph: QuantizationGraph, node: NodeProto, settings: Int8RewriteSettings): boolean {
  const activation = qdqActivation(graph, node.input[0]!, settings);
  if (activation === undefined) return false;
  let axis = settings.perChannel ? channelAxis(node) : undefined;
  if (axis !== undefined && settings.opset < 13) {
    axis = undefined;
    settings.notes.push(`Per-channel DequantizeLinear needs opset 13 (the model has ${settings.opset}); weights of ${node.name ?? node.opType ?? ''} were quantized per tensor.`);
  }
  const source = node.opType === 'MatMul' ? graph.weightSource(node.input[1])! : { tensor: graph.floatInitializer(node.input[1])!, transposed: false };
  // MatMul(x, Transpose(W)): quantize W per row (the output columns), dequantize, then transpose.
  if (source.transposed && axis !== undefined) axis = 0;
  const entry = source.transposed && axis === undefined ? quantizedInitializer(graph, source.tensor, undefined, false, TABLE_SETTINGS, false) : quantizedInitializer(graph, source.tensor, axis, false, settings);
  const dequantized = graph.once(`qdq-weight|${entry.name}`, () => {
    const length = axis === undefined ? [] : [entry.dims[axis]!];
    const parameters = weightParameters(graph, entry, length);
    const output = graph.uniqueName(`${node.input[1]!}_dequantized`);
    graph.node('DequantizeLinear', [entry.name, parameters.scale, parameters.zeroPoint], [output], `${node.input[1]!}_DequantizeLinear`, axis === undefined ? undefined : { axis });
    return output;
  });
  const weight = source.transposed ? transposedOnce(graph, dequantized) : dequantized;
  graph.output.push({ ...node, input: [activation, weight, ...node.input.slice(2)] });
  return true;
}

function rewriteQOperator(graph: QuantizationGraph, node: NodeProto, settings: Int8RewriteSettings): void {
  const opType = node.opType ?? '';
  const output = node.output[0]!;
  const base = node.name ?? output;
  let perChannel = settings.perChannel;
  if (opType === 'Conv' && perChannel && settings.weightType === 'uint8') {
    perChannel = false;
    settings.notes.push(`ConvInteger takes one weight zero point; Conv ${base} with uint8 weights was quantized per tensor.`);
  }
  const source = opType === 'MatMul' ? graph.weightSource(node.input[1])! : { tensor: graph.floatInitializer(node.input[1])!, transposed: false };
  const transpose = opType === 'Gemm' && getIntAttribute(node, 'transB', 0) === 1;
  // MatMul(x, Transpose(W)) (tied embeddings): quantize W as stored (shared with its Gather), transpose the int8 tensor.
  const axis = !perChannel ? undefined : opType === 'Conv' || source.transposed ? 0 : 1;
  // Per tensor, a transposed (tied) table reuses the Gather's uint8 table; MatMulInteger takes uint8 B.
  const entry = source.transposed && axis === undefined ? quantizedInitializer(graph, source.tensor, undefined, false, TABLE_SETTINGS, false) : quantizedInitializer(graph, source.tensor, axis, transpose, settings);
  const channels = axis === undefined ? 1 : entry.dims[axis]!;
  const weightInput = source.transposed ? transposedOnce(graph, entry.name) : entry.name;
  const activation = dynamicActivation(graph, node.input[0]!);
  const alpha = opType === 'Gemm' ? (getFloatAttribute(node, 'alpha', 1) ?? 1) : 1;
  let scaleDims: number[] = axis === undefined ? [] : [channels];
  if (opType === 'Conv' && axis !== undefined) scaleDims = entry.dims.map((_, index) => (index === 1 ? channels : 1));
  const parameters = weightParameters(graph, entry, scaleDims, alpha);
  // ConvInteger takes one zero point: per-channel int8 weights are symmetric, so that point is 0.
  const zeroPoint = opType === 'Conv' && axis !== undefined ? graph.once(`zero|${entry.name}`, () => graph.addInitializer(`${entry.name}_zero_point`, DataType.INT8, [], [0])) : parameters.zeroPoint;
  const integerOutput = graph.uniqueName(`${output}_quantized`);
  if (opType === 'Conv') {
    const attributes = node.attribute.filter((attribute) => ['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides'].includes(attribute.name ?? ''));
    const convInteger = graph.node('ConvInteger', [activation.quantized, weightInput, activation.zeroPoint, zeroPoint], [integerOutput], `${base}_quant`);
    convInteger.attribute = attributes;
  } else {
    graph.node('MatMulInteger', [activation.quantized, weightInput, activation.zeroPoint, zeroPoint], [integerOutput], `${base}_quant`);
  }
  const cast = graph.uniqueName(`${integerOutput}_cast_output`);
  graph.node('Cast', [integerOutput], [cast], `${base}_cast`, { to: DataType.FLOAT32 });
  const scales = graph.uniqueName(`${base}_quant_scales_mul`);
  graph.node('Mul', [activation.scale, parameters.scale], [scales], `${base}_scales_mul`);
  const bias = biasInput(graph, node, entry.dims);
  const scaled = bias === undefined ? output : graph.uniqueName(`${output}_without_bias`);
  graph.node('Mul', [cast, scales], [scaled], `${base}_output_scale_mul`);
  if (bias !== undefined) graph.node('Add', [scaled, bias], [output], `${base}_bias_add`);
}

/** The bias to add after the integer product, reshaped or scaled as the op needs; undefined when none. */
function biasInput(graph: QuantizationGraph, node: NodeProto, weightDims: number[]): string | undefined {
  const bias = node.input[2];
  if (bias === undefined || bias === '') return undefined;
  if (node.opType === 'Gemm') {
    const beta = getFloatAttribute(node, 'beta', 1) ?? 1;
    if (beta === 1) return bias;
    const tensor = graph.floatInitializer(bias)!;
    return graph.once(`bias|${bias}|${beta}`, () => graph.addInitializer(`${bias}_scaled`, DataType.FLOAT32, tensor.dims.map(Number), graph.readFloat(tensor).map((value) => value * beta)));
  }
  const tensor = graph.floatInitializer(bias)!;
  const dims = weightDims.map((_, index) => (index === 1 ? Number(tensor.dims[0]) : 1));
  return graph.once(`bias|${bias}|conv`, () => graph.addInitializer(`${bias}_reshaped`, DataType.FLOAT32, dims, graph.readFloat(tensor)));
}

/**
 * Appends the 8-bit replacement of one selected node to `graph.output`.
 *
 * @returns false when the node could not be rewritten (a static range is missing); the caller keeps it.
 */
export function rewriteInt8Node(graph: QuantizationGraph, node: NodeProto, settings: Int8RewriteSettings): boolean {
  if (node.opType === 'Gather') {
    rewriteGather(graph, node);
    return true;
  }
  if (settings.format === 'qdq') return rewriteQdq(graph, node, settings);
  rewriteQOperator(graph, node, settings);
  return true;
}
