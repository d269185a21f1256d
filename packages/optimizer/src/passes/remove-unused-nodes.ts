/** Removes nodes, initializers and inputs that no graph output depends on. */
import type { ModelProto, NodeProto } from '@gpux/onnx';
import { nodeInputNames } from '@gpux/onnx';
import { mainGraph, pruneValueInfo } from './graph-names';
import { passReport, type PassReport } from './pass-report';

/** Options of {@link removeUnusedNodes}. */
export interface RemoveUnusedNodesOptions {
  /**
   * Also drop real model inputs (graph inputs without an initializer) that no output depends on.
   * They are kept by default because callers feed them by name; the report lists them.
   * @default false
   */
  removeUnusedInputs?: boolean;
}

/**
 * Removes what no graph output depends on: dead nodes, unused initializers (and sparse
 * initializers), initializer-backed graph inputs that nothing reads, and value_info entries of
 * removed tensors. Names read by subgraphs (If/Loop/Scan bodies) count as used.
 *
 * @throws {TypeError} when `model` has no graph.
 * @example
 * ```ts
 * const report = removeUnusedNodes(model);
 * console.log(report.counts.nodesRemoved);
 * ```
 */
export function removeUnusedNodes(model: ModelProto, options: RemoveUnusedNodesOptions = {}): PassReport {
  const graph = mainGraph(model, 'removeUnusedNodes');
  const producers = new Map<string, NodeProto>();
  for (const node of graph.node) for (const output of node.output) if (output !== '') producers.set(output, node);

  const needed = new Set<string>();
  const liveNodes = new Set<NodeProto>();
  const pending: string[] = [];
  const need = (name: string): void => {
    if (name === '' || needed.has(name)) return;
    needed.add(name);
    pending.push(name);
  };
  for (const output of graph.output) need(output.name ?? '');
  while (pending.length > 0) {
    const producer = producers.get(pending.pop()!);
    if (producer === undefined || liveNodes.has(producer)) continue;
    liveNodes.add(producer);
    for (const name of nodeInputNames(producer)) need(name);
  }

  const nodesBefore = graph.node.length;
  graph.node = graph.node.filter((node) => liveNodes.has(node));

  const initializerNames = new Set(graph.initializer.map((tensor) => tensor.name ?? ''));
  const initializersBefore = graph.initializer.length;
  graph.initializer = graph.initializer.filter((tensor) => needed.has(tensor.name ?? ''));
  const sparseBefore = graph.sparseInitializer.length;
  graph.sparseInitializer = graph.sparseInitializer.filter((sparse) => needed.has(sparse.values?.name ?? ''));
  for (const sparse of graph.sparseInitializer) initializerNames.add(sparse.values?.name ?? '');

  const notes: string[] = [];
  const keptInputs: string[] = [];
  const inputsBefore = graph.input.length;
  graph.input = graph.input.filter((input) => {
    const name = input.name ?? '';
    if (needed.has(name)) return true;
    if (initializerNames.has(name) || options.removeUnusedInputs === true) return false;
    keptInputs.push(name);
    return true;
  });
  if (keptInputs.length > 0) {
    notes.push(`Kept ${keptInputs.length} model input(s) that no output uses (${keptInputs.join(', ')}); pass removeUnusedInputs: true to drop them.`);
  }
  const valueInfoRemoved = pruneValueInfo(graph);
  return passReport(
    'remove-unused-nodes',
    {
      nodesRemoved: nodesBefore - graph.node.length,
      initializersRemoved: initializersBefore - graph.initializer.length + sparseBefore - graph.sparseInitializer.length,
      inputsRemoved: inputsBefore - graph.input.length,
      valueInfoRemoved,
    },
    notes,
  );
}
