/** What each node the accuracy budget kept in float costs in file size. */
import type { ModelProto, NodeProto, TensorProto } from '@gpux/onnx';
import { QuantizationGraph } from './quantization-graph';
import type { KeptInFloatCost, QuantizationMode } from './quantization-options';
import { nodeIdentifier } from './select-quantizable-nodes';

/** The weight inputs a quantizer replaces, by op type (the others, such as biases, stay float32 anyway). */
function quantizedWeights(graph: QuantizationGraph, node: NodeProto): TensorProto[] {
  const opType = node.opType ?? '';
  const found = (names: Array<string | undefined>): TensorProto[] => names.map((name) => graph.floatInitializer(name)).filter((tensor): tensor is TensorProto => tensor !== undefined);
  if (opType === 'MatMul') {
    const source = graph.weightSource(node.input[1]);
    return source === undefined ? [] : [source.tensor];
  }
  if (opType === 'Gather') return found([node.input[0]]);
  if (opType === 'EmbedLayerNormalization') return found(node.input.slice(2, 7));
  if (opType === 'LSTM') return found([node.input[1], node.input[2]]);
  return found([node.input[1]]);
}

/**
 * For each node in `names` (identifiers as in reports), the float32 bytes of the weights it keeps
 * and about how many bytes quantizing them would save: 3 of every 4 for the 8-bit modes (one byte
 * per value), 7 of 8 less the per-block scales for q4 (half a byte per value plus a float32 scale per
 * `blockSize` values). Scales and zero points of 8-bit weights (a few bytes) are not counted.
 */
export function keptInFloatCosts(model: ModelProto, names: readonly string[], mode: QuantizationMode, blockSize: number, sensitivity: ReadonlyMap<string, number> = new Map()): KeptInFloatCost[] {
  const graph = new QuantizationGraph(model);
  const wanted = new Set(names);
  const costs = new Map<string, KeptInFloatCost>();
  graph.graph.node.forEach((node, index) => {
    const name = nodeIdentifier(node, index);
    if (!wanted.has(name)) return;
    const values = quantizedWeights(graph, node).reduce((total, tensor) => total + tensor.dims.reduce((product, dim) => product * Number(dim), 1), 0);
    const quantizedBytes = mode === 'q4' ? Math.ceil(values / 2 + (values / blockSize) * 4) : values;
    const loss = sensitivity.get(name);
    costs.set(name, { name, opType: node.opType ?? '', floatWeightBytes: values * 4, extraBytes: values * 4 - quantizedBytes, ...(loss === undefined ? {} : { loss }) });
  });
  return names.flatMap((name) => costs.get(name) ?? []);
}
