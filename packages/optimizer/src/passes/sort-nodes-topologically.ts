/** Orders the main graph's nodes topologically. */
import type { ModelProto } from '@gpux/onnx';
import { topologicalSort } from '@gpux/onnx';
import { mainGraph } from './graph-names';
import { passReport, type PassReport } from './pass-report';

/**
 * Sorts the main graph's nodes so that every node comes after the producers of its inputs,
 * keeping the existing order where it is already valid.
 *
 * @throws {ConversionError} INVALID_MODEL_FILE when the graph has a cycle.
 * @example
 * ```ts
 * sortNodesTopologically(model).counts.nodesMoved;
 * ```
 */
export function sortNodesTopologically(model: ModelProto): PassReport {
  const graph = mainGraph(model, 'sortNodesTopologically');
  const sorted = topologicalSort(graph);
  const moved = sorted.filter((node, index) => graph.node[index] !== node).length;
  graph.node = sorted;
  return passReport('sort-nodes-topologically', { nodesMoved: moved });
}
