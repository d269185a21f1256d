/** Removes Identity nodes. */
import type { ModelProto } from '@gpux/onnx';
import { bypassNode } from './bypass-node';
import { mainGraph } from './graph-names';
import { passReport, type PassReport } from './pass-report';

/**
 * Removes Identity nodes of the main graph: readers of the output read the input instead. An
 * Identity that produces a graph output is removed by renaming its input's producer, so output
 * names never change; one that copies a graph input, an initializer or another output to an
 * output is kept (the report counts it).
 *
 * @throws {TypeError} when `model` has no graph.
 * @example
 * ```ts
 * eliminateIdentity(model).counts.identitiesRemoved; // 3
 * ```
 */
export function eliminateIdentity(model: ModelProto): PassReport {
  const graph = mainGraph(model, 'eliminateIdentity');
  let removed = 0;
  let kept = 0;
  for (const node of [...graph.node]) {
    if (node.opType !== 'Identity' || (node.domain ?? '') !== '') continue;
    const input = node.input[0];
    const output = node.output[0];
    if (input === undefined || input === '' || output === undefined || output === '') continue;
    if (bypassNode(graph, node, input, output)) removed += 1;
    else kept += 1;
  }
  const notes = kept > 0 ? [`Kept ${kept} Identity node(s) that copy a graph input, initializer or output to a graph output.`] : [];
  return passReport('eliminate-identity', { identitiesRemoved: removed }, notes);
}
