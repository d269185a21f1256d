/** Removes inference-time Dropout nodes. */
import type { ModelProto, NodeProto, TensorProto } from '@gpux/onnx';
import { getIntAttribute, tensorToTypedArray } from '@gpux/onnx';
import { bypassNode } from './bypass-node';
import { graphOutputNames, mainGraph } from './graph-names';
import { passReport, type PassReport } from './pass-report';

/**
 * Removes Dropout nodes, which are identities at inference (`output = input`). A Dropout is kept
 * when its mask output is read, when its `training_mode` input is not a constant false, or (old
 * opsets) when `is_test` is 0.
 *
 * @throws {TypeError} when `model` has no graph.
 * @example
 * ```ts
 * eliminateDropout(model).counts.dropoutsRemoved;
 * ```
 */
export function eliminateDropout(model: ModelProto): PassReport {
  const graph = mainGraph(model, 'eliminateDropout');
  const initializers = new Map(graph.initializer.map((tensor) => [tensor.name ?? '', tensor]));
  const read = new Set<string>();
  for (const node of graph.node) for (const input of node.input) read.add(input);
  const outputs = graphOutputNames(graph);
  let removed = 0;
  let kept = 0;
  for (const node of [...graph.node]) {
    if (node.opType !== 'Dropout' || (node.domain ?? '') !== '') continue;
    const input = node.input[0];
    const output = node.output[0];
    if (input === undefined || input === '' || output === undefined || output === '') continue;
    const mask = node.output[1] ?? '';
    const maskUsed = mask !== '' && (read.has(mask) || outputs.has(mask));
    if (maskUsed || !isInferenceMode(node, initializers) || !bypassNode(graph, node, input, output)) {
      kept += 1;
      continue;
    }
    removed += 1;
  }
  const notes = kept > 0 ? [`Kept ${kept} Dropout node(s) whose mask is read or whose training_mode is not a constant false.`] : [];
  return passReport('eliminate-dropout', { dropoutsRemoved: removed }, notes);
}

function isInferenceMode(node: NodeProto, initializers: Map<string, TensorProto>): boolean {
  if (getIntAttribute(node, 'is_test', 1) === 0) return false;
  const trainingMode = node.input[2] ?? '';
  if (trainingMode === '') return true;
  const tensor = initializers.get(trainingMode);
  if (tensor === undefined) return false;
  const values = tensorToTypedArray(tensor);
  return values.length === 1 && Number(values[0]) === 0;
}
