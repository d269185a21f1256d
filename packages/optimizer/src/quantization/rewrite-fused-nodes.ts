/**
 * Dynamic 8-bit forms of the com.microsoft nodes our O2 fusions write, as onnxruntime's
 * `quantize_dynamic` writes them (its quantization/operators/attention.py and embed_layernorm.py,
 * checked against onnxruntime 1.32 on a fused BERT):
 * - `Attention(x, W, b, mask_index, past)` -> `DynamicQuantizeLinear(x)` +
 *   `QAttention(x_q, W_q, b, x_scale, W_scale, mask_index, x_zero_point, W_zero_point, past)`; the packed
 *   QKV weight is quantized like a MatMul weight (7-bit only with `reduceRange`: onnxruntime's
 *   `reduce_range=True` for it is and-ed with the run's option), per column with `perChannel`.
 * - `EmbedLayerNormalization(ids, segment_ids, word, position, segment, gamma, beta, mask)` ->
 *   `QEmbedLayerNormalization` with the three tables and gamma/beta as uint8 with a zero point each,
 *   followed by their scales and zero points.
 * Both are onnxruntime CPU kernels only; QOperator format only.
 */
import type { NodeProto } from '@gpux/onnx';
import type { QuantizationGraph } from './quantization-graph';
import type { Int8RewriteSettings } from './rewrite-int8-nodes';
import { dynamicActivation, quantizedInitializer, TABLE_SETTINGS, weightParameters } from './rewrite-int8-nodes';

const MICROSOFT_DOMAIN = 'com.microsoft';

/** The fused op types this file rewrites. */
export const FUSED_QUANTIZABLE_OPS: ReadonlySet<string> = new Set(['Attention', 'EmbedLayerNormalization']);

/** Why a fused node cannot be rewritten for `format`, or undefined when it can. */
export function fusedNodeUnsupportedReason(graph: QuantizationGraph, node: NodeProto, format: 'qoperator' | 'qdq'): string | undefined {
  const opType = node.opType ?? '';
  if (node.domain !== MICROSOFT_DOMAIN) return `${opType} outside com.microsoft is not quantized`;
  if (format === 'qdq') return `${opType} has no QDQ form here (QAttention / QEmbedLayerNormalization are QOperator nodes); use format 'qoperator'`;
  if (opType === 'Attention') {
    if (node.attribute.some((attribute) => attribute.name === 'qkv_hidden_sizes')) return 'QAttention does not take qkv_hidden_sizes (Q, K, V of different widths)';
    const weight = graph.floatInitializer(node.input[1]);
    if (weight?.dims.length !== 2) return 'the packed QKV weight is not a 2-D float32 constant';
    if (graph.floatInitializer(node.input[2]) === undefined) return 'the QKV bias is not a float32 constant (QAttention needs one)';
    if (node.input.slice(5).some((name) => name !== '')) return 'QAttention takes no attention_bias, past_sequence_length or later inputs';
    // Not checked against onnxruntime yet: decoder-with-past Attention keeps its float weights.
    if ((node.input[4] ?? '') !== '' || node.output.length > 1) return 'Attention with past/present state is not quantized (QAttention with past is untested here)';
    return undefined;
  }
  if (opType === 'EmbedLayerNormalization') {
    if ([2, 3, 4, 5, 6].some((index) => graph.floatInitializer(node.input[index]) === undefined)) return 'the embedding tables, gamma and beta are not all float32 constants';
    if (node.input.slice(8).some((name) => name !== '')) return 'QEmbedLayerNormalization takes no position_ids input';
    return undefined;
  }
  return `no quantizer for ${opType}`;
}

function rewriteAttention(graph: QuantizationGraph, node: NodeProto, settings: Int8RewriteSettings): void {
  const base = node.name ?? node.output[0]!;
  const tensor = graph.floatInitializer(node.input[1])!;
  const axis = settings.perChannel ? 1 : undefined;
  const entry = quantizedInitializer(graph, tensor, axis, false, settings);
  const parameters = weightParameters(graph, entry, axis === undefined ? [] : [entry.dims[1]!]);
  const activation = dynamicActivation(graph, node.input[0]!);
  const inputs = [activation.quantized, entry.name, node.input[2]!, activation.scale, parameters.scale, node.input[3] ?? '', activation.zeroPoint, parameters.zeroPoint, node.input[4] ?? ''];
  while (inputs.at(-1) === '') inputs.pop();
  const quantized = graph.node('QAttention', inputs, [...node.output], `${base}_quant`, undefined, MICROSOFT_DOMAIN);
  quantized.attribute = [...node.attribute];
}

function rewriteEmbedLayerNormalization(graph: QuantizationGraph, node: NodeProto): void {
  const base = node.name ?? node.output[0]!;
  const entries = [2, 3, 4, 5, 6].map((index) => quantizedInitializer(graph, graph.floatInitializer(node.input[index])!, undefined, false, TABLE_SETTINGS, false));
  const parameters = entries.map((entry) => weightParameters(graph, entry, []));
  const inputs = [node.input[0]!, node.input[1] ?? '', ...entries.map((entry) => entry.name), node.input[7] ?? '', ...parameters.map((entry) => entry.scale), ...parameters.map((entry) => entry.zeroPoint)];
  const quantized = graph.node('QEmbedLayerNormalization', inputs, [...node.output], `${base}_quant`, undefined, MICROSOFT_DOMAIN);
  quantized.attribute = [...node.attribute];
}

/** Appends the QOperator replacement of a fused node (checked with {@link fusedNodeUnsupportedReason}). */
export function rewriteFusedNode(graph: QuantizationGraph, node: NodeProto, settings: Int8RewriteSettings): void {
  if (node.opType === 'Attention') rewriteAttention(graph, node, settings);
  else rewriteEmbedLayerNormalization(graph, node);
}
