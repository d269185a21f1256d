/** Visitors over every graph, node and tensor of a model, subgraphs and local functions included. */
import type { AttributeProto, FunctionProto, GraphProto, ModelProto, NodeProto, TensorProto } from './onnx-types';

/** Where a visited node or tensor sits. */
export interface WalkLocation {
  /** The graph holding it (undefined inside a local function). */
  graph: GraphProto | undefined;
  /** The local function holding it, when inside one. */
  function: FunctionProto | undefined;
  /** True inside a subgraph (If/Loop/Scan bodies) or a training graph, not the main graph. */
  nested: boolean;
}

/** Where a visited tensor comes from. */
export type TensorRole = 'initializer' | 'sparse-initializer' | 'attribute';

/**
 * Calls `visit` for every node: main graph, subgraphs (depth first, after their owning node),
 * training graphs and local functions.
 */
export function forEachNode(model: ModelProto, visit: (node: NodeProto, where: WalkLocation) => void): void {
  const walkNodes = (nodes: NodeProto[], where: WalkLocation): void => {
    for (const node of nodes) {
      visit(node, where);
      for (const attribute of node.attribute) {
        for (const graph of attributeGraphs(attribute)) walkNodes(graph.node, { graph, function: where.function, nested: true });
      }
    }
  };
  if (model.graph !== undefined) walkNodes(model.graph.node, { graph: model.graph, function: undefined, nested: false });
  for (const training of model.trainingInfo) {
    for (const graph of [training.initialization, training.algorithm]) {
      if (graph !== undefined) walkNodes(graph.node, { graph, function: undefined, nested: true });
    }
  }
  for (const localFunction of model.functions) walkNodes(localFunction.node, { graph: undefined, function: localFunction, nested: false });
}

/** The subgraphs an attribute holds (`g` and `graphs`). */
export function attributeGraphs(attribute: AttributeProto): GraphProto[] {
  return attribute.g === undefined ? attribute.graphs : [attribute.g, ...attribute.graphs];
}

/**
 * Calls `visit` for every tensor of the model: initializers (and sparse initializers' values and
 * indices) of every graph, then tensors held by node attributes (Constant values and the like).
 */
export function forEachTensor(
  model: ModelProto,
  visit: (tensor: TensorProto, role: TensorRole, where: WalkLocation) => void,
): void {
  const visitGraph = (graph: GraphProto, nested: boolean): void => {
    const where: WalkLocation = { graph, function: undefined, nested };
    for (const tensor of graph.initializer) visit(tensor, 'initializer', where);
    for (const sparse of graph.sparseInitializer) {
      if (sparse.values !== undefined) visit(sparse.values, 'sparse-initializer', where);
      if (sparse.indices !== undefined) visit(sparse.indices, 'sparse-initializer', where);
    }
  };
  const graphs: Array<[GraphProto, boolean]> = [];
  if (model.graph !== undefined) graphs.push([model.graph, false]);
  for (const training of model.trainingInfo) {
    if (training.initialization !== undefined) graphs.push([training.initialization, true]);
    if (training.algorithm !== undefined) graphs.push([training.algorithm, true]);
  }
  forEachNode(model, (node) => {
    for (const attribute of node.attribute) for (const graph of attributeGraphs(attribute)) graphs.push([graph, true]);
  });
  for (const [graph, nested] of graphs) visitGraph(graph, nested);
  forEachNode(model, (node, where) => {
    for (const attribute of node.attribute) {
      if (attribute.t !== undefined) visit(attribute.t, 'attribute', where);
      for (const tensor of attribute.tensors) visit(tensor, 'attribute', where);
      for (const sparse of [...(attribute.sparseTensor === undefined ? [] : [attribute.sparseTensor]), ...attribute.sparseTensors]) {
        if (sparse.values !== undefined) visit(sparse.values, 'attribute', where);
        if (sparse.indices !== undefined) visit(sparse.indices, 'attribute', where);
      }
    }
  });
}
