/**
 * Reads what an attention mask subgraph computes from: the 2-D attention_mask input it is built
 * from (padding) and whether it also applies a causal (lower-triangular) restriction. The exporters
 * build the 4-D mask in many ways (Unsqueeze/Cast/Sub/Mul chains, GatherND over aranges, Where);
 * what matters for com.microsoft Attention is which input it comes from and whether it is causal.
 */
import type { NodeProto } from '@gpux/onnx';
import type { FusionGraph } from './fusion-graph';

/** What the mask subgraph depends on. */
export interface MaskSource {
  /** The graph input with the [batch, sequence] key padding mask, when the mask reads one. */
  paddingInput?: string;
  /** Whether the subgraph compares two position ranges (a causal mask). */
  causal: boolean;
}

const COMPARISONS = new Set(['Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual']);
const MAX_CONE_NODES = 2000;

/**
 * Walks the subgraph that computes `name` (not into Shape inputs, which only carry sizes) and
 * returns its padding input and causality, or a reason it cannot be expressed as a mask_index.
 */
export function analyzeMask(graph: FusionGraph, name: string): MaskSource | string {
  const dataInputs = new Set<string>();
  let causal = false;
  const seen = new Set<string>();
  const pending = [name];
  let visited = 0;
  while (pending.length > 0) {
    const current = pending.pop()!;
    if (current === '' || seen.has(current)) continue;
    seen.add(current);
    if (graph.isGraphInput(current)) {
      dataInputs.add(current);
      continue;
    }
    if (graph.constant(current) !== undefined) continue;
    const node = graph.producer(current);
    if (node === undefined) continue;
    visited += 1;
    if (visited > MAX_CONE_NODES) return 'the mask subgraph is too large to analyse';
    if ((node.domain ?? '') !== '') return `the mask subgraph contains ${node.domain}.${node.opType ?? ''}`;
    if (node.opType === 'Shape' || node.opType === 'Size') continue;
    if (node.opType === 'Trilu' || isRangeComparison(graph, node)) causal = true;
    if (node.opType === 'Softmax' || node.opType === 'MatMul' || node.opType === 'Gemm') {
      return `the mask depends on a ${node.opType} (it is not a padding or causal mask)`;
    }
    pending.push(...node.input);
  }
  if (dataInputs.size > 1) return `the mask depends on several inputs (${[...dataInputs].join(', ')})`;
  const paddingInput = [...dataInputs][0];
  if (paddingInput !== undefined) {
    const value = graph.graph.input.find((input) => input.name === paddingInput);
    const rank = value?.type?.tensorType?.shape?.dim.length;
    if (rank !== 2) return `the mask input "${paddingInput}" is not a [batch, sequence] tensor`;
  } else if (!causal) {
    return 'the mask is neither read from an input nor causal';
  }
  return { paddingInput, causal };
}

function isRangeComparison(graph: FusionGraph, node: NodeProto): boolean {
  if (!COMPARISONS.has(node.opType ?? '')) return false;
  return graph.constant(node.input[0]) === undefined && graph.constant(node.input[1]) === undefined;
}
