/** Producer/consumer maps and topological order of a graph's nodes (subgraph references included). */
import { OnnxError } from './onnx-error';
import type { GraphProto, NodeProto } from './onnx-types';
import { attributeGraphs } from './walk-model';

/** Who produces and who consumes each tensor name of one graph. */
export interface TensorUsage {
  /** The node producing each tensor (graph inputs and initializers have none). */
  producers: Map<string, NodeProto>;
  /** The nodes reading each tensor, in node order; a node appears once per tensor. */
  consumers: Map<string, NodeProto[]>;
  /** Names the graph's outputs read. */
  graphOutputs: Set<string>;
}

/**
 * Names a subgraph reads from the scopes around it (implicit inputs of If/Loop/Scan nodes):
 * every name its nodes (and nested subgraphs) read that it does not define itself.
 */
export function outerScopeReferences(graph: GraphProto): Set<string> {
  const defined = new Set<string>();
  for (const value of graph.input) if (value.name !== undefined) defined.add(value.name);
  for (const tensor of graph.initializer) if (tensor.name !== undefined) defined.add(tensor.name);
  for (const sparse of graph.sparseInitializer) if (sparse.values?.name !== undefined) defined.add(sparse.values.name);
  for (const node of graph.node) for (const output of node.output) defined.add(output);
  const references = new Set<string>();
  const read = (name: string): void => {
    if (name !== '' && !defined.has(name)) references.add(name);
  };
  for (const node of graph.node) {
    node.input.forEach(read);
    for (const attribute of node.attribute) for (const subgraph of attributeGraphs(attribute)) outerScopeReferences(subgraph).forEach(read);
  }
  for (const output of graph.output) if (output.name !== undefined) read(output.name);
  return references;
}

/** All names a node reads: its inputs (empty optional inputs skipped) and its subgraphs' outer references. */
export function nodeInputNames(node: NodeProto): string[] {
  const names = node.input.filter((name) => name !== '');
  for (const attribute of node.attribute) {
    for (const subgraph of attributeGraphs(attribute)) {
      for (const name of outerScopeReferences(subgraph)) if (!names.includes(name)) names.push(name);
    }
  }
  return names;
}

/**
 * Maps each tensor name of `graph` to its producer and consumers.
 *
 * @example
 * ```ts
 * const { producers, consumers } = buildTensorUsage(model.graph!);
 * const readers = consumers.get('hidden') ?? [];
 * ```
 */
export function buildTensorUsage(graph: GraphProto): TensorUsage {
  const producers = new Map<string, NodeProto>();
  const consumers = new Map<string, NodeProto[]>();
  for (const node of graph.node) {
    for (const output of node.output) if (output !== '') producers.set(output, node);
    for (const name of new Set(nodeInputNames(node))) {
      const list = consumers.get(name);
      if (list === undefined) consumers.set(name, [node]);
      else list.push(node);
    }
  }
  const graphOutputs = new Set(graph.output.map((output) => output.name ?? ''));
  return { producers, consumers, graphOutputs };
}

/**
 * Returns the graph's nodes in a topological order, keeping the current order wherever it is
 * already valid (Kahn's algorithm, ties broken by original position). Names produced outside the
 * graph (inputs, initializers, outer scopes) count as available.
 *
 * @throws {OnnxError} INVALID_MODEL_FILE when the nodes form a cycle.
 */
export function topologicalSort(graph: GraphProto): NodeProto[] {
  const nodes = graph.node;
  const producerIndex = new Map<string, number>();
  nodes.forEach((node, index) => {
    for (const output of node.output) if (output !== '') producerIndex.set(output, index);
  });
  const pending = new Array<number>(nodes.length).fill(0);
  const dependents: number[][] = nodes.map(() => []);
  nodes.forEach((node, index) => {
    for (const name of new Set(nodeInputNames(node))) {
      const producer = producerIndex.get(name);
      if (producer === undefined || producer === index) continue;
      pending[index]! += 1;
      dependents[producer]!.push(index);
    }
  });
  // A binary heap of ready node indices keeps the original order among ready nodes.
  const ready: number[] = [];
  const push = (value: number): void => {
    ready.push(value);
    let child = ready.length - 1;
    while (child > 0) {
      const parent = (child - 1) >> 1;
      if (ready[parent]! <= value) break;
      ready[child] = ready[parent]!;
      child = parent;
    }
    ready[child] = value;
  };
  const pop = (): number => {
    const top = ready[0]!;
    const last = ready.pop()!;
    if (ready.length > 0) {
      let parent = 0;
      for (;;) {
        let child = parent * 2 + 1;
        if (child >= ready.length) break;
        if (child + 1 < ready.length && ready[child + 1]! < ready[child]!) child += 1;
        if (ready[child]! >= last) break;
        ready[parent] = ready[child]!;
        parent = child;
      }
      ready[parent] = last;
    }
    return top;
  };
  pending.forEach((count, index) => {
    if (count === 0) push(index);
  });
  const order: NodeProto[] = [];
  while (ready.length > 0) {
    const index = pop();
    order.push(nodes[index]!);
    for (const dependent of dependents[index]!) {
      pending[dependent]! -= 1;
      if (pending[dependent] === 0) push(dependent);
    }
  }
  if (order.length !== nodes.length) {
    const stuck = nodes.filter((_, index) => pending[index]! > 0).map((node) => node.name ?? node.opType ?? '?');
    throw new OnnxError(
      'INVALID_MODEL_FILE',
      `Graph "${graph.name ?? ''}" has a cycle through ${stuck.length} node(s) (${stuck.slice(0, 5).join(', ')}); an ONNX graph must be acyclic. Re-export the model.`,
      { details: { nodes: stuck } },
    );
  }
  return order;
}

/** Sorts `graph.node` topologically in place (see {@link topologicalSort}); returns the graph. */
export function sortGraphTopologically(graph: GraphProto): GraphProto {
  graph.node = topologicalSort(graph);
  return graph;
}
