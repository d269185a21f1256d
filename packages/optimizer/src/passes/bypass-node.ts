/** Removing a node whose output equals one of its inputs (Identity, inference-time Dropout). */
import type { GraphProto, NodeProto } from '@gpux/onnx';
import { graphInputNames, graphOutputNames, replaceReads } from './graph-names';

/**
 * Removes `node`, whose `outputName` carries the same value as `inputName`, and rewires readers.
 * When the output is a graph output, the producer of the input is renamed instead so the graph
 * output keeps its name; that is impossible (and the node stays) when the input is a graph input,
 * an initializer or another graph output. Returns whether the node was removed.
 */
export function bypassNode(graph: GraphProto, node: NodeProto, inputName: string, outputName: string): boolean {
  const outputs = graphOutputNames(graph);
  if (!outputs.has(outputName)) {
    replaceReads(graph, outputName, inputName);
    graph.node.splice(graph.node.indexOf(node), 1);
    return true;
  }
  if (outputs.has(inputName) || graphInputNames(graph).has(inputName)) return false;
  if (graph.initializer.some((tensor) => tensor.name === inputName)) return false;
  const producer = graph.node.find((candidate) => candidate !== node && candidate.output.includes(inputName));
  if (producer === undefined) return false;
  producer.output[producer.output.indexOf(inputName)] = outputName;
  graph.node.splice(graph.node.indexOf(node), 1);
  replaceReads(graph, inputName, outputName);
  for (const value of graph.valueInfo) if (value.name === inputName) value.name = outputName;
  graph.valueInfo = dedupeValueInfo(graph);
  return true;
}

function dedupeValueInfo(graph: GraphProto): GraphProto['valueInfo'] {
  const outputs = graphOutputNames(graph);
  const seen = new Set<string>();
  return graph.valueInfo.filter((value) => {
    const name = value.name ?? '';
    if (seen.has(name) || outputs.has(name)) return false;
    seen.add(name);
    return true;
  });
}
