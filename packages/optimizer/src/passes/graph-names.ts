/**
 * Name-level editing helpers shared by the passes: renaming a tensor everywhere it is read
 * (subgraphs that read it from the outer scope included), and the sets of names a pass must keep.
 */
import type { GraphProto, ModelProto } from '@gpux/onnx';
import { attributeGraphs } from '@gpux/onnx';

/** The model's main graph. @throws {TypeError} when the model has none. */
export function mainGraph(model: ModelProto, caller: string): GraphProto {
  if (model === null || typeof model !== 'object' || model.graph === undefined) {
    throw new TypeError(`${caller}: parameter "model" must be an ONNX ModelProto with a graph.`);
  }
  return model.graph;
}

/** Names a graph defines itself (inputs, initializers, node outputs): they shadow outer names. */
function definedNames(graph: GraphProto): Set<string> {
  const names = new Set<string>();
  for (const value of graph.input) if (value.name !== undefined) names.add(value.name);
  for (const tensor of graph.initializer) if (tensor.name !== undefined) names.add(tensor.name);
  for (const node of graph.node) for (const output of node.output) if (output !== '') names.add(output);
  return names;
}

/** Renames reads of `from` inside a subgraph that takes it from the outer scope (not shadowed). */
export function renameOuterReads(graph: GraphProto, from: string, to: string): number {
  if (definedNames(graph).has(from)) return 0;
  let count = replaceReads(graph, from, to);
  for (const output of graph.output) {
    if (output.name === from) {
      output.name = to;
      count += 1;
    }
  }
  return count;
}

/**
 * Makes every reader of `from` in `graph` (node inputs and subgraphs reading it from the outer
 * scope) read `to` instead. Graph outputs are not touched. Returns how many reads changed.
 */
export function replaceReads(graph: GraphProto, from: string, to: string): number {
  let count = 0;
  for (const node of graph.node) {
    node.input.forEach((name, index) => {
      if (name === from) {
        node.input[index] = to;
        count += 1;
      }
    });
    for (const attribute of node.attribute) for (const subgraph of attributeGraphs(attribute)) count += renameOuterReads(subgraph, from, to);
  }
  return count;
}

/** The names of the graph's outputs. */
export function graphOutputNames(graph: GraphProto): Set<string> {
  return new Set(graph.output.map((output) => output.name ?? ''));
}

/** The names of the graph's inputs. */
export function graphInputNames(graph: GraphProto): Set<string> {
  return new Set(graph.input.map((input) => input.name ?? ''));
}

/** Drops value_info entries whose names no node output or graph value defines any more. */
export function pruneValueInfo(graph: GraphProto): number {
  const defined = definedNames(graph);
  const before = graph.valueInfo.length;
  graph.valueInfo = graph.valueInfo.filter((value) => value.name !== undefined && defined.has(value.name));
  return before - graph.valueInfo.length;
}

/** A fresh tensor name based on `base` that the graph does not use yet. */
export function uniqueName(taken: Set<string>, base: string): string {
  let name = base;
  for (let index = 1; taken.has(name); index += 1) name = `${base}_${index}`;
  taken.add(name);
  return name;
}

/** Every name the graph uses (inputs, outputs, initializers, node inputs/outputs, value_info). */
export function allNames(graph: GraphProto): Set<string> {
  const names = definedNames(graph);
  for (const output of graph.output) if (output.name !== undefined) names.add(output.name);
  for (const value of graph.valueInfo) if (value.name !== undefined) names.add(value.name);
  for (const node of graph.node) for (const input of node.input) if (input !== '') names.add(input);
  return names;
}
