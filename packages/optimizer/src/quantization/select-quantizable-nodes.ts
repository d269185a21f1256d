/** Decides which nodes a quantization mode rewrites and why the others stay in float. */
import type { NodeProto } from '@gpux/onnx';
import { getFloatAttribute, getIntAttribute } from '@gpux/onnx';
import type { QuantizationGraph } from './quantization-graph';
import { FUSED_QUANTIZABLE_OPS, fusedNodeUnsupportedReason } from './rewrite-fused-nodes';
import { lstmUnsupportedReason, RECURRENT_FLOAT_OPS, RECURRENT_QUANTIZABLE_OPS, recurrentFloatReason } from './rewrite-recurrent-nodes';
import type { QuantizationMode, SkippedNode } from './quantization-options';

/** The op types each mode rewrites when `opTypes` is not given. */
export const DEFAULT_OP_TYPES: Readonly<Record<QuantizationMode, readonly string[]>> = {
  int8: ['MatMul', 'Gemm', 'Conv', 'Gather', 'Attention', 'EmbedLayerNormalization', 'LSTM'],
  uint8: ['MatMul', 'Gemm', 'Conv', 'Gather', 'Attention', 'EmbedLayerNormalization', 'LSTM'],
  q8: ['MatMul', 'Gemm', 'Conv', 'Gather', 'Attention', 'EmbedLayerNormalization', 'LSTM'],
  'static-int8': ['MatMul', 'Gemm', 'Conv', 'Gather'],
  q4: ['MatMul'],
};

/** Op types listed in the report when a mode leaves them in float (onnxruntime quantizes most of them; GRU/RNN it cannot). */
const KNOWN_UNSUPPORTED = new Set(['Attention', 'LSTM', 'GRU', 'RNN', 'ConvTranspose', 'EmbedLayerNormalization', 'Einsum', 'MultiHeadAttention']);

/** Bytes of the float32 constant inputs of a node (what keeping it in float costs before quantization). */
export function floatWeightBytes(graph: QuantizationGraph, node: NodeProto): number {
  let bytes = 0;
  for (const name of new Set(node.input)) {
    const tensor = graph.floatInitializer(name);
    if (tensor !== undefined) bytes += tensor.dims.reduce((product, dim) => product * Number(dim), 1) * 4;
  }
  return bytes;
}

/** The report line of a node of a type onnxruntime quantizes but this mode leaves in float. */
function keptInFloatReason(graph: QuantizationGraph, node: NodeProto, mode: QuantizationMode): string {
  const opType = node.opType ?? '';
  const bytes = floatWeightBytes(graph, node);
  const cost = bytes === 0 ? '' : `; its float32 weights (${bytes} bytes) stay float32`;
  if (RECURRENT_FLOAT_OPS.has(opType)) return recurrentFloatReason(opType, cost);
  if (mode === 'q4' && opType === 'LSTM') return `LSTM weights cannot be 4-bit: MatMulNBits has no LSTM form (use int8/uint8/q8 for DynamicQuantizeLSTM)${cost}`;
  if (mode === 'static-int8' && opType === 'LSTM') return `LSTM is not quantized by static-int8 (DynamicQuantizeLSTM quantizes its activations dynamically; use int8/uint8/q8)${cost}`;
  if (mode === 'q4' && FUSED_QUANTIZABLE_OPS.has(opType)) return `${opType} weights cannot be 4-bit: MatMulNBits has no fused ${opType} form (use int8/uint8 for QAttention / QEmbedLayerNormalization, or O1 so the projections stay MatMul)${cost}`;
  return `${opType} is not quantized by ${mode} (kept in float)${cost}`;
}

/** The identifier of a node in reports and include/exclude lists: its name, or `<opType>_<index>`. */
export function nodeIdentifier(node: NodeProto, index: number): string {
  return node.name !== undefined && node.name !== '' ? node.name : `${node.opType ?? 'node'}_${index}`;
}

/** Which nodes to consider. */
export interface NodeSelection {
  mode: QuantizationMode;
  opTypes: ReadonlySet<string>;
  nodesToQuantize?: ReadonlySet<string>;
  nodesToExclude: ReadonlySet<string>;
  opTypesToExclude: ReadonlySet<string>;
  /** The format the nodes are written in (fused nodes have a QOperator form only). @default 'qoperator' */
  format?: 'qoperator' | 'qdq';
}

/** The outcome of {@link selectQuantizableNodes}. */
export interface SelectedNodes {
  /** Node identifiers to rewrite. */
  selected: Set<string>;
  skipped: SkippedNode[];
}

/** Why a node of a supported type cannot be rewritten, or undefined when it can. */
export function unsupportedReason(graph: QuantizationGraph, node: NodeProto, mode: QuantizationMode, format: 'qoperator' | 'qdq' = 'qoperator'): string | undefined {
  const opType = node.opType ?? '';
  if (FUSED_QUANTIZABLE_OPS.has(opType) && mode !== 'q4') return fusedNodeUnsupportedReason(graph, node, format);
  if (RECURRENT_FLOAT_OPS.has(opType)) return keptInFloatReason(graph, node, mode);
  if (RECURRENT_QUANTIZABLE_OPS.has(opType)) return mode === 'q4' || mode === 'static-int8' ? keptInFloatReason(graph, node, mode) : lstmUnsupportedReason(graph, node, format);
  if ((node.domain ?? '') !== '' && node.domain !== 'ai.onnx') return `operator domain ${node.domain ?? ''} is not quantized`;
  if (mode === 'q4' && opType !== 'MatMul') return 'q4 (MatMulNBits) rewrites MatMul nodes only';
  if (opType === 'Gather') {
    return graph.floatInitializer(node.input[0]) === undefined ? 'the gathered data is not a float32 constant' : undefined;
  }
  const weight = opType === 'MatMul' ? graph.weightSource(node.input[1])?.tensor : graph.floatInitializer(node.input[1]);
  if (weight === undefined) return 'the weight (input 1) is not a float32 constant initializer';
  if (opType === 'MatMul') {
    if (weight.dims.length !== 2) return `the weight has rank ${weight.dims.length}; only 2-D MatMul weights are quantized`;
    if (mode === 'q4' && graph.weightSource(node.input[1])?.transposed === true && graph.graph.node.some((other) => other.opType === 'Gather' && graph.floatInitializer(other.input[0]) === weight)) {
      // q4 leaves Gathers in float: a 4-bit copy of a tied table would grow the file (GPT-2 O2: 106 -> 118 MB).
      return `the weight is a tied embedding that a Gather keeps in float32 (${Number(weight.dims[0]) * Number(weight.dims[1]) * 4} bytes); a 4-bit copy would add to the file, not shrink it`;
    }
    return undefined;
  }
  if (opType === 'Gemm') {
    if (getIntAttribute(node, 'transA', 0) !== 0) return 'Gemm with transA = 1 is not quantized';
    const bias = node.input[2];
    const beta = getFloatAttribute(node, 'beta', 1) ?? 1;
    if (bias !== undefined && bias !== '' && beta !== 1 && graph.floatInitializer(bias) === undefined) return 'Gemm with beta != 1 and a non-constant C is not quantized';
    return undefined;
  }
  if (opType === 'Conv') {
    if (weight.dims.length < 3) return `the Conv weight has rank ${weight.dims.length}`;
    const bias = node.input[2];
    if (bias !== undefined && bias !== '' && graph.floatInitializer(bias) === undefined) return 'the Conv bias is not a float32 constant';
    return undefined;
  }
  return `no ${mode} quantizer for op type ${opType}`;
}

/**
 * Applies op types, include and exclude lists, and per-op constraints. Nodes of the chosen op types
 * that cannot be rewritten, and nodes of types onnxruntime quantizes but this quantizer does not,
 * come back in `skipped` with a reason.
 */
export function selectQuantizableNodes(graph: QuantizationGraph, nodes: readonly NodeProto[], selection: NodeSelection): SelectedNodes {
  const selected = new Set<string>();
  const skipped: SkippedNode[] = [];
  nodes.forEach((node, index) => {
    const opType = node.opType ?? '';
    const name = nodeIdentifier(node, index);
    if (!selection.opTypes.has(opType)) {
      if (KNOWN_UNSUPPORTED.has(opType)) skipped.push({ name, opType, reason: keptInFloatReason(graph, node, selection.mode) });
      return;
    }
    if (selection.nodesToQuantize !== undefined && !selection.nodesToQuantize.has(name)) return;
    if (selection.nodesToExclude.has(name)) {
      skipped.push({ name, opType, reason: 'excluded by nodesToExclude' });
      return;
    }
    if (selection.opTypesToExclude.has(opType)) {
      skipped.push({ name, opType, reason: 'excluded by opTypesToExclude' });
      return;
    }
    // A Gather of something other than a float table (shapes, indices, activations) is no weight op.
    if (opType === 'Gather' && graph.floatInitializer(node.input[0]) === undefined) return;
    const reason = unsupportedReason(graph, node, selection.mode, selection.format);
    if (reason === undefined) selected.add(name);
    else skipped.push({ name, opType, reason });
  });
  return { selected, skipped };
}
