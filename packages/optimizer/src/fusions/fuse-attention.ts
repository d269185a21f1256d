/**
 * Replaces matched self-attention blocks with com.microsoft Attention (packed [hidden, 3*hidden]
 * QKV weights and bias) or, when the weights cannot be packed, com.microsoft MultiHeadAttention.
 */
import { DataType } from '@gpux/onnx';
import type { AttentionMatch } from './match-attention';
import { matchAttention } from './match-attention';
import type { FusionGraph} from './fusion-graph';
import { MICROSOFT_DOMAIN } from './fusion-graph';
import type { AttentionLayerReport } from './fusion-report';

/** Options of {@link fuseAttention}. */
export interface FuseAttentionOptions {
  numHeads?: number;
  hiddenSize?: number;
  opsetVersion: number;
}

/** Fuses every matching attention block; returns one entry per Softmax met, in graph order. */
export function fuseAttention(graph: FusionGraph, options: FuseAttentionOptions): { layers: AttentionLayerReport[]; attention: number; multiHeadAttention: number } {
  const layers: AttentionLayerReport[] = [];
  const maskIndexes = new Map<string, string>();
  let attention = 0;
  let multiHeadAttention = 0;
  const softmaxes = graph.graph.node.filter((node) => node.opType === 'Softmax' && (node.domain ?? '') === '');
  softmaxes.forEach((softmax, index) => {
    const match = matchAttention(graph, softmax, options.opsetVersion);
    const label = softmax.name ?? softmax.output[0] ?? '';
    if (typeof match === 'string') {
      layers.push({ layer: index, attention: 'not-fused', reason: `${match} (at ${label})` });
      return;
    }
    const built = buildAttention(graph, match, options, maskIndexes);
    if ('reason' in built) {
      layers.push({ layer: index, attention: 'not-fused', reason: `${built.reason} (at ${label})` });
      return;
    }
    if (built.opType === 'Attention') attention += 1;
    else multiHeadAttention += 1;
    layers.push({ layer: index, attention: 'fused' });
  });
  return { layers, attention, multiHeadAttention };
}

function maskIndexFor(graph: FusionGraph, input: string, cache: Map<string, string>): string {
  const cached = cache.get(input);
  if (cached !== undefined) return cached;
  const name = graph.uniqueName(`${input}_mask_index`);
  graph.addNode('Cast', [input], [name], { name: 'AttentionMaskIndexCast', attributes: { to: DataType.INT32 } });
  cache.set(input, name);
  return name;
}

function resolveHeads(match: AttentionMatch, hidden: number, options: FuseAttentionOptions): number | string {
  const fromLayout = match.query.heads ?? (match.query.headSize === undefined ? undefined : hidden / match.query.headSize);
  const heads = fromLayout ?? options.numHeads;
  if (heads === undefined || !Number.isInteger(heads) || heads <= 0) return 'the number of heads cannot be read from the head-split Reshape (pass numHeads)';
  if (options.numHeads !== undefined && options.numHeads !== heads) return `the graph splits into ${heads} heads but numHeads is ${options.numHeads}`;
  if (hidden % heads !== 0) return `hidden size ${hidden} is not a multiple of ${heads} heads`;
  return heads;
}

function buildAttention(graph: FusionGraph, match: AttentionMatch, options: FuseAttentionOptions, maskIndexes: Map<string, string>): { opType: 'Attention' | 'MultiHeadAttention' } | { reason: string } {
  const { query, key, value } = match;
  const sameInput = query.projection.input === key.projection.input && key.projection.input === value.projection.input;
  const maskIndex = match.mask?.paddingInput === undefined ? undefined : maskIndexFor(graph, match.mask.paddingInput, maskIndexes);
  const packed = packQkv(graph, match);
  let opType: 'Attention' | 'MultiHeadAttention';
  let hidden: number;
  let inputs: string[];
  if (sameInput && typeof packed !== 'string') {
    opType = 'Attention';
    hidden = packed.hidden;
    inputs = [query.projection.input, packed.weight, packed.bias, maskIndex ?? ''];
  } else {
    if (match.mask?.causal === true) return { reason: `causal attention cannot be fused without packed QKV weights (${typeof packed === 'string' ? packed : 'Q, K and V read different inputs'})` };
    const width = graph.constant(query.projection.weight)?.dims[1] ?? options.hiddenSize;
    if (width === undefined) return { reason: 'the hidden size is unknown (pass hiddenSize)' };
    opType = 'MultiHeadAttention';
    hidden = width;
    inputs = [query.projection.output, key.projection.output, value.projection.output, '', maskIndex ?? ''];
  }
  if (options.hiddenSize !== undefined && options.hiddenSize !== hidden) return { reason: `the projections are ${hidden} wide but hiddenSize is ${options.hiddenSize}` };
  const heads = resolveHeads(match, hidden, options);
  if (typeof heads === 'string') return { reason: heads };
  while (inputs.at(-1) === '') inputs.pop();

  const attributes: Record<string, number | [number, 'float']> = { num_heads: heads, scale: [match.scale, 'float'] };
  if (match.mask?.causal === true) attributes.unidirectional = 1;
  let output = match.merge.output[0] ?? '';
  if (match.mergeRank === 3) {
    graph.remove(match.merge);
  } else {
    output = graph.uniqueName(`${output}_attention`);
    match.merge.input[0] = output;
  }
  graph.addNode(opType, inputs, [output], { name: opType, domain: MICROSOFT_DOMAIN, attributes });
  return { opType };
}

/** Packs Q, K and V weights into [hidden, 3*hidden] and biases into [3*hidden]. */
function packQkv(graph: FusionGraph, match: AttentionMatch): { weight: string; bias: string; hidden: number } | string {
  const projections = [match.query.projection, match.key.projection, match.value.projection];
  const packed = projections.map((projection) => projection.packed);
  if (packed.every((entry) => entry !== undefined)) {
    const [q, k, v] = packed;
    if (q!.split !== k!.split || k!.split !== v!.split || q!.splitIndex !== 0 || k!.splitIndex !== 1 || v!.splitIndex !== 2) {
      return 'the packed QKV Split outputs are not used in Q, K, V order';
    }
    const weight = graph.constant(q!.weight);
    if (weight === undefined || weight.dataType !== DataType.FLOAT32 || (weight.dims[1] ?? 0) % 3 !== 0) return 'the packed QKV weight is not a float32 [hidden, 3*hidden] constant';
    const width = weight.dims[1]!;
    const bias = q!.bias ?? graph.addInitializer('attention_qkv_bias', 'float32', [width], new Float32Array(width));
    return { weight: q!.weight, bias, hidden: width / 3 };
  }
  if (packed.some((entry) => entry !== undefined)) return 'Q, K and V mix packed and separate projections';
  const weights = projections.map((projection) => graph.constant(projection.weight));
  if (weights.some((weight) => weight === undefined || weight.dataType !== DataType.FLOAT32 || weight.dims.length !== 2)) {
    return 'the Q, K, V weights are not float32 [hidden, hidden] constants';
  }
  const [rows, width] = weights[0]!.dims as [number, number];
  if (weights.some((weight) => weight!.dims[0] !== rows || weight!.dims[1] !== width)) return 'the Q, K and V weights differ in shape';
  const combined = new Float32Array(rows * width * 3);
  for (let row = 0; row < rows; row += 1) {
    weights.forEach((weight, part) => {
      const values = weight!.values;
      for (let column = 0; column < width; column += 1) combined[row * width * 3 + part * width + column] = Number(values[row * width + column]);
    });
  }
  const biasValues = new Float32Array(width * 3);
  for (const [part, projection] of projections.entries()) {
    if (projection.bias === undefined) continue;
    const bias = graph.constant(projection.bias);
    if (bias === undefined || bias.values.length !== width) return 'a Q, K or V bias does not match the weight width';
    for (let column = 0; column < width; column += 1) biasValues[part * width + column] = Number(bias.values[column]);
  }
  return {
    weight: graph.addInitializer('attention_qkv_weight', 'float32', [rows, width * 3], combined),
    bias: graph.addInitializer('attention_qkv_bias', 'float32', [width * 3], biasValues),
    hidden: width,
  };
}
