/** Collapses chains of float Casts and removes Casts to the type their input already has. */
import type { GraphProto, NodeProto } from '@gpux/onnx';
import { DataType, getIntAttribute } from '@gpux/onnx';
import { bypassNode } from '../passes/bypass-node';
import { graphOutputNames } from '../passes/graph-names';

const FLOAT_TYPES = new Set<number>([DataType.FLOAT32, DataType.FLOAT16, DataType.FLOAT64, DataType.BFLOAT16]);

function isCast(node: NodeProto | undefined): node is NodeProto {
  return node !== undefined && node.opType === 'Cast' && (node.domain ?? '') === '';
}

/**
 * In `graph`: a float Cast reading another float Cast reads that Cast's input instead (so
 * `Cast(fp16->fp32) -> Cast(fp32->fp16)` becomes nothing and `A -> B -> C` becomes `A -> C`), a
 * Cast to the type its input already has is removed, and Casts nobody reads are dropped.
 * `types` maps tensor names to element types and is updated. Returns how many Casts were removed.
 */
export function removeRedundantCasts(graph: GraphProto, types: Map<string, number>): number {
  const before = graph.node.filter(isCast).length;
  for (let changed = true; changed; ) {
    changed = false;
    const producers = new Map<string, NodeProto>();
    for (const node of graph.node) for (const output of node.output) producers.set(output, node);
    for (const node of graph.node) {
      if (!isCast(node)) continue;
      const previous = producers.get(node.input[0] ?? '');
      if (!isCast(previous)) continue;
      const source = types.get(previous.input[0] ?? '');
      const middle = getIntAttribute(previous, 'to');
      const target = getIntAttribute(node, 'to');
      if (source === undefined || middle === undefined || target === undefined) continue;
      if (!FLOAT_TYPES.has(source) || !FLOAT_TYPES.has(middle) || !FLOAT_TYPES.has(target)) continue;
      node.input[0] = previous.input[0]!;
      changed = true;
    }
    for (const node of [...graph.node]) {
      if (!isCast(node)) continue;
      const input = node.input[0] ?? '';
      if (types.get(input) === undefined || types.get(input) !== getIntAttribute(node, 'to')) continue;
      if (bypassNode(graph, node, input, node.output[0] ?? '')) changed = true;
    }
    const read = new Set<string>(graphOutputNames(graph));
    for (const node of graph.node) for (const input of node.input) read.add(input);
    const unread = graph.node.filter((node) => isCast(node) && !read.has(node.output[0] ?? ''));
    if (unread.length > 0) {
      graph.node = graph.node.filter((node) => !unread.includes(node));
      changed = true;
    }
  }
  return before - graph.node.filter(isCast).length;
}

/** How many float Casts read the output of another float Cast (a "chain"). */
export function countCastChains(graph: GraphProto): number {
  const producers = new Map<string, NodeProto>();
  for (const node of graph.node) for (const output of node.output) producers.set(output, node);
  return graph.node.filter((node) => isCast(node) && isCast(producers.get(node.input[0] ?? ''))).length;
}
