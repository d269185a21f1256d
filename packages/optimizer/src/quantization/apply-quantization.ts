/** One in-memory quantization pass over a loaded model (no IO besides reading weights). */
import type { ModelProto } from '@gpux/onnx';
import { ensureOpsetImport, defaultOpsetVersion, QuantizationGraph } from './quantization-graph';
import type { QuantizedIntegerType } from './quantization-math';
import type { QuantizationFormat, QuantizationMode, SkippedNode } from './quantization-options';
import { FUSED_QUANTIZABLE_OPS, rewriteFusedNode } from './rewrite-fused-nodes';
import { rewriteInt8Node } from './rewrite-int8-nodes';
import { rewriteMatMulNBits } from './rewrite-matmul-nbits';
import { RECURRENT_QUANTIZABLE_OPS, rewriteLstmNode } from './rewrite-recurrent-nodes';
import { nodeIdentifier, selectQuantizableNodes, type NodeSelection } from './select-quantizable-nodes';

/** Everything one pass needs. */
export interface QuantizationPlan {
  mode: QuantizationMode;
  format: QuantizationFormat;
  weightType: QuantizedIntegerType;
  perChannel: boolean;
  reduceRange: boolean;
  blockSize: number;
  symmetric: boolean;
  selection: NodeSelection;
  /** Node identifiers the accuracy budget keeps in float. */
  keepInFloat: ReadonlySet<string>;
  activationRanges?: ReadonlyMap<string, { min: number; max: number }>;
}

/** What one pass did. */
export interface QuantizationPassResult {
  quantizedNodes: Array<{ name: string; opType: string }>;
  skippedNodes: SkippedNode[];
  notes: string[];
}

/**
 * Rewrites the selected nodes of `model` in place. Each float weight is read, quantized and
 * released before the next one, so external-data models never have all float weights in memory.
 */
export function applyQuantization(model: ModelProto, plan: QuantizationPlan, baseDirectory?: string): QuantizationPassResult {
  const graph = new QuantizationGraph(model, baseDirectory);
  const nodes = [...graph.graph.node];
  const { selected, skipped } = selectQuantizableNodes(graph, nodes, plan.selection);
  const notes: string[] = [];
  const quantizedNodes: Array<{ name: string; opType: string }> = [];
  const opset = defaultOpsetVersion(model);
  if (plan.mode !== 'q4' && opset < 10) {
    notes.push(`The model uses opset ${opset}; integer operators need opset 10, so nothing was quantized.`);
    return { quantizedNodes, skippedNodes: skipped, notes };
  }
  const settings = {
    format: plan.format === 'qdq' ? ('qdq' as const) : ('qoperator' as const),
    weightType: plan.weightType,
    perChannel: plan.perChannel,
    reduceRange: plan.reduceRange,
    opset,
    notes,
    activationRanges: plan.activationRanges,
  };
  nodes.forEach((node, index) => {
    const name = nodeIdentifier(node, index);
    if (!selected.has(name)) {
      graph.output.push(node);
      return;
    }
    if (plan.keepInFloat.has(name)) {
      skipped.push({ name, opType: node.opType ?? '', reason: 'kept in float by the accuracy budget' });
      graph.output.push(node);
      return;
    }
    let rewritten = true;
    if (plan.mode === 'q4') rewriteMatMulNBits(graph, node, { blockSize: plan.blockSize, symmetric: plan.symmetric });
    else if (FUSED_QUANTIZABLE_OPS.has(node.opType ?? '')) rewriteFusedNode(graph, node, settings);
    else if (RECURRENT_QUANTIZABLE_OPS.has(node.opType ?? '')) rewriteLstmNode(graph, node, settings);
    else rewritten = rewriteInt8Node(graph, node, settings);
    if (rewritten) {
      quantizedNodes.push({ name, opType: node.opType ?? '' });
    } else {
      skipped.push({ name, opType: node.opType ?? '', reason: 'no calibrated range for its input activation' });
      graph.output.push(node);
    }
  });
  graph.finish();
  if (quantizedNodes.length > 0 && (plan.mode === 'q4' || quantizedNodes.some((node) => FUSED_QUANTIZABLE_OPS.has(node.opType) || RECURRENT_QUANTIZABLE_OPS.has(node.opType)))) ensureOpsetImport(model, 'com.microsoft', 1);
  return { quantizedNodes, skippedNodes: skipped, notes: [...new Set(notes)] };
}
