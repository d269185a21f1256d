/**
 * Keeps residual `LayerNormalization(a + b)` as Add + LayerNormalization for onnxruntime's CPU
 * provider, where the com.microsoft SkipLayerNormalization kernel is the slower choice: measured
 * with onnxruntime-node 1.30 on the bench models (one thread, [1024, 256] float32 rows),
 * SkipLayerNormalization took about 1.35 ms per node against about 0.15 ms for LayerNormalization
 * plus about 0.1 ms for the Add (see tools/bench/fusions/README.md).
 *
 * onnxruntime's own session-time optimizer (level 'extended' and above, the default) fuses
 * `Add -> LayerNormalization` into SkipLayerNormalization when the Add has 3-D inputs and no other
 * reader. To keep the faster pair, the LayerNormalization of such an Add is moved onto a
 * `[-1, hidden]` view of the sum (Reshape, which onnxruntime runs without a copy) and its result
 * is reshaped back to the sum's shape; the values are unchanged (LayerNormalization over the last
 * axis is row-wise).
 */
import type { NodeProto } from '@gpux/onnx';
import { getIntAttribute } from '@gpux/onnx';
import type { FusionGraph } from './fusion-graph';

/** Whether onnxruntime's SkipLayerNormFusion would take `norm` and the Add under it. */
function refusableResidual(graph: FusionGraph, norm: NodeProto): string | undefined {
  const sum = norm.input[0] ?? '';
  const add = graph.producer(sum, 'Add');
  if (add === undefined || add.input.some((name) => graph.constant(name) !== undefined)) return undefined;
  const readers = graph.consumersOf(sum);
  if (readers.length !== 1 || graph.usedOutside(sum, readers)) return undefined;
  return sum;
}

/**
 * Moves each residual LayerNormalization that onnxruntime would turn into SkipLayerNormalization
 * onto a 2-D view; returns how many.
 */
export function flattenResidualLayerNormalization(graph: FusionGraph): number {
  let count = 0;
  const flatShapes = new Map<number, string>();
  for (const norm of graph.graph.node.filter((node) => node.opType === 'LayerNormalization' && (node.domain ?? '') === '')) {
    if (getIntAttribute(norm, 'axis', -1) !== -1 || norm.output.slice(1).some((name) => name !== '')) continue;
    const gamma = graph.constant(norm.input[1]);
    const hidden = gamma?.dims.length === 1 ? gamma.dims[0] : undefined;
    if (hidden === undefined || hidden <= 0) continue;
    const sum = refusableResidual(graph, norm);
    const output = norm.output[0];
    if (sum === undefined || output === undefined || output === '') continue;
    let flatShape = flatShapes.get(hidden);
    if (flatShape === undefined) {
      flatShape = graph.addInitializer(`residual_rows_${hidden}`, 'int64', [2], BigInt64Array.from([-1n, BigInt(hidden)]));
      flatShapes.set(hidden, flatShape);
    }
    const rows = graph.uniqueName(`${sum}_rows`);
    const normalizedRows = graph.uniqueName(`${output}_rows`);
    const shape = graph.uniqueName(`${sum}_shape`);
    graph.addNode('Reshape', [sum, flatShape], [rows], { name: 'ResidualRows' });
    graph.addNode('Shape', [sum], [shape], { name: 'ResidualShape' });
    norm.input[0] = rows;
    norm.output[0] = normalizedRows;
    graph.addNode('Reshape', [normalizedRows, shape], [output], { name: 'ResidualUnflatten' });
    count += 1;
  }
  return count;
}
