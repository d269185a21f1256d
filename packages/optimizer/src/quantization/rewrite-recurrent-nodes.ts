/**
 * Dynamic 8-bit ONNX `LSTM` -> com.microsoft `DynamicQuantizeLSTM`, the form onnxruntime's
 * `quantize_dynamic` writes (its quantization/operators/lstm.py, checked against onnxruntime 1.32;
 * inputs and shapes from docs/ContribOperators.md, com.microsoft.DynamicQuantizeLSTM):
 * - inputs `X, W, R, B, sequence_lens, initial_h, initial_c, P, W_scale, W_zero_point, R_scale, R_zero_point`;
 *   X, B, sequence_lens, the initial states and P pass through unchanged (float).
 * - W and R are int8, symmetric (zero point 0), always int8 whatever the run's weight type (onnxruntime
 *   quantizes them with INT8 too), 7-bit only with `reduceRange`.
 * - The kernel wants them transposed: ONNX LSTM stores W as `[num_directions, 4*hidden, input]` and
 *   R as `[num_directions, 4*hidden, hidden]`; DynamicQuantizeLSTM takes `[num_directions, input, 4*hidden]`
 *   and `[num_directions, hidden, 4*hidden]`.
 * - Per tensor means one scale per direction (`[num_directions]`); per channel, one per gate row
 *   (`[num_directions, 4*hidden]`).
 * - The attributes are copied except `layout`: the kernel only reads `[seq, batch, input]`, so an LSTM
 *   with `layout = 1` stays float.
 *
 * GRU and RNN have no quantized kernel in onnxruntime (DynamicQuantizeLSTM is the only recurrent
 * com.microsoft schema in 1.32, and its quantizer leaves GRU in float): they stay float32, with a reason.
 * The kernel runs on onnxruntime's CPU execution provider only.
 */
import type { NodeProto, TensorProto } from '@gpux/onnx';
import { DataType, getIntAttribute } from '@gpux/onnx';
import type { QuantizationGraph } from './quantization-graph';
import type { Int8RewriteSettings } from './rewrite-int8-nodes';
import { quantizeWeight } from './quantize-weight';

const MICROSOFT_DOMAIN = 'com.microsoft';

/** The recurrent op types this file rewrites. */
export const RECURRENT_QUANTIZABLE_OPS: ReadonlySet<string> = new Set(['LSTM']);

/** Recurrent op types onnxruntime has no quantized kernel for. */
export const RECURRENT_FLOAT_OPS: ReadonlySet<string> = new Set(['GRU', 'RNN']);

/** Why a recurrent op without a quantized kernel (GRU, RNN) stays float, with `cost` appended. */
export function recurrentFloatReason(opType: string, cost: string): string {
  return `${opType} stays float32: onnxruntime has no quantized ${opType} kernel (DynamicQuantizeLSTM is its only quantized recurrent operator, CPU execution provider) and its quantize_dynamic leaves ${opType} in float too${cost}`;
}

/** The float32 rank-3 weight behind a node input, or undefined. */
function recurrentWeight(graph: QuantizationGraph, name: string | undefined): TensorProto | undefined {
  const tensor = graph.floatInitializer(name);
  return tensor?.dims.length === 3 ? tensor : undefined;
}

/** Why an LSTM node cannot become DynamicQuantizeLSTM in `format`, or undefined when it can. */
export function lstmUnsupportedReason(graph: QuantizationGraph, node: NodeProto, format: 'qoperator' | 'qdq'): string | undefined {
  if ((node.domain ?? '') !== '' && node.domain !== 'ai.onnx') return `operator domain ${node.domain ?? ''} is not quantized`;
  if (format === 'qdq') return "LSTM has no QDQ form (DynamicQuantizeLSTM is a QOperator node and onnxruntime's QDQ quantizer leaves LSTM in float); use format 'qoperator'";
  if (recurrentWeight(graph, node.input[1]) === undefined || recurrentWeight(graph, node.input[2]) === undefined) return 'W and R (inputs 1 and 2) are not both rank-3 float32 constant initializers';
  if (getIntAttribute(node, 'layout', 0) !== 0) return 'DynamicQuantizeLSTM reads X as [seq_length, batch, input] only; this LSTM has layout = 1';
  return undefined;
}

/**
 * Quantizes one ONNX LSTM weight (`[directions, 4*hidden, columns]`) to int8 and writes it transposed
 * (`[directions, columns, 4*hidden]`) with its scales and zero points. Cached per tensor.
 */
function quantizedRecurrentWeight(graph: QuantizationGraph, tensor: TensorProto, settings: Pick<Int8RewriteSettings, 'perChannel' | 'reduceRange'>): { name: string; scale: string; zeroPoint: string } {
  const tensorName = tensor.name ?? '';
  return graph.once(`lstm-weight|${tensorName}|${String(settings.perChannel)}|${String(settings.reduceRange)}`, () => {
    const [directions, rows, columns] = tensor.dims.map(Number) as [number, number, number];
    const dims = settings.perChannel ? [directions * rows, columns] : [directions, rows, columns];
    const quantized = quantizeWeight(graph.readFloat(tensor), dims, { type: 'int8', axis: 0, reduceRange: settings.reduceRange, symmetric: true });
    const transposed = new Int8Array(quantized.values.length);
    const block = rows * columns;
    for (let direction = 0; direction < directions; direction += 1) {
      const offset = direction * block;
      for (let row = 0; row < rows; row += 1) for (let column = 0; column < columns; column += 1) transposed[offset + column * rows + row] = quantized.values[offset + row * columns + column]!;
    }
    const parameterDims = settings.perChannel ? [directions, rows] : [directions];
    const name = graph.addInitializer(`${tensorName}_quantized`, DataType.INT8, [directions, columns, rows], transposed);
    return {
      name,
      scale: graph.addInitializer(`${tensorName}_scale`, DataType.FLOAT32, parameterDims, quantized.scales),
      zeroPoint: graph.addInitializer(`${tensorName}_zero_point`, DataType.INT8, parameterDims, quantized.zeroPoints),
    };
  });
}

/** Appends the DynamicQuantizeLSTM replacement of an LSTM node (checked with {@link lstmUnsupportedReason}). */
export function rewriteLstmNode(graph: QuantizationGraph, node: NodeProto, settings: Int8RewriteSettings): void {
  const base = node.name ?? node.output[0]!;
  const input = quantizedRecurrentWeight(graph, graph.floatInitializer(node.input[1])!, settings);
  const recurrence = quantizedRecurrentWeight(graph, graph.floatInitializer(node.input[2])!, settings);
  const passThrough = [3, 4, 5, 6, 7].map((index) => node.input[index] ?? '');
  const inputs = [node.input[0]!, input.name, recurrence.name, ...passThrough, input.scale, input.zeroPoint, recurrence.scale, recurrence.zeroPoint];
  const quantized = graph.node('DynamicQuantizeLSTM', inputs, [...node.output], `${base}_quant`, undefined, MICROSOFT_DOMAIN);
  quantized.attribute = node.attribute.filter((attribute) => attribute.name !== 'layout');
}
