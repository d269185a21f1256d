/**
 * BERT-like embeddings to com.microsoft EmbedLayerNormalization:
 * `LayerNormalization(Gather(word, input_ids) + Gather(segment, token_type_ids) + Gather(position, 0..S-1))`
 * in any order of the Adds. Positions must be provably 0..S-1 (a Slice of a constant arange from 0,
 * or Range(0, S, 1)); otherwise the embeddings are left as they are.
 */
import type { NodeProto } from '@gpux/onnx';
import { DataType, getFloatAttribute, getIntAttribute } from '@gpux/onnx';
import { type FusionGraph, MICROSOFT_DOMAIN } from './fusion-graph';

interface EmbeddingGather {
  table: string;
  indices: string;
  rows: number;
}

function gatherOf(graph: FusionGraph, name: string): EmbeddingGather | undefined {
  const gather = graph.producer(name, 'Gather');
  const table = graph.constant(gather?.input[0]);
  if (gather === undefined || table === undefined || table.dims.length !== 2 || getIntAttribute(gather, 'axis', 0) !== 0) return undefined;
  return { table: gather.input[0] ?? '', indices: gather.input[1] ?? '', rows: table.dims[0] ?? 0 };
}

/** Whether `name` holds 0..S-1 positions (with a leading 1 dim or none). */
function isDefaultPositions(graph: FusionGraph, name: string): boolean {
  let node: NodeProto | undefined = graph.producer(name);
  if (node?.opType === 'Unsqueeze') node = graph.producer(node.input[0]);
  if (node?.opType === 'Range') return graph.scalar(node.input[0]) === 0 && graph.scalar(node.input[2]) === 1;
  if (node?.opType === 'Slice') {
    const data = graph.constant(node.input[0]);
    const starts = graph.constant(node.input[1]);
    const steps = graph.constant(node.input[4]);
    if (data === undefined || starts === undefined || starts.values.length !== 1 || Number(starts.values[0]) !== 0) return false;
    if (steps !== undefined && Number(steps.values[0]) !== 1) return false;
    const width = data.dims.at(-1) ?? 0;
    if (data.values.length !== width) return false;
    for (let index = 0; index < width; index += 1) if (Number(data.values[index]) !== index) return false;
    const axes = graph.constant(node.input[3]);
    return axes === undefined || Number(axes.values[0]) === data.dims.length - 1 || Number(axes.values[0]) === -1;
  }
  return false;
}

/** Collects the leaves of a tree of Adds (each inner Add read only inside the tree). */
function addLeaves(graph: FusionGraph, name: string, depth: number): string[] {
  const add = graph.producer(name, 'Add');
  if (add === undefined || depth > 2 || (depth > 0 && graph.consumersOf(name).length !== 1)) return [name];
  return add.input.flatMap((input) => addLeaves(graph, input, depth + 1));
}

/** Fuses BERT-like embeddings; returns how many. */
export function fuseEmbedLayerNormalization(graph: FusionGraph): number {
  let count = 0;
  const casts = new Map<string, string>();
  const int32 = (input: string): string => {
    const cached = casts.get(input);
    if (cached !== undefined) return cached;
    const name = graph.uniqueName(`${input}_int32`);
    graph.addNode('Cast', [input], [name], { name: 'EmbedLayerNormCast', attributes: { to: DataType.INT32 } });
    casts.set(input, name);
    return name;
  };
  for (const norm of graph.graph.node.filter((node) => node.opType === 'LayerNormalization' && (node.domain ?? '') === '')) {
    if (getIntAttribute(norm, 'axis', -1) !== -1 || graph.constant(norm.input[2]) === undefined) continue;
    const leaves = addLeaves(graph, norm.input[0] ?? '', 0);
    if (leaves.length !== 3) continue;
    const gathers = leaves.map((leaf) => gatherOf(graph, leaf));
    if (gathers.some((gather) => gather === undefined)) continue;
    const position = gathers.find((gather) => isDefaultPositions(graph, gather!.indices));
    const tokens = gathers.filter((gather) => gather !== position && graph.isGraphInput(gather!.indices));
    if (position === undefined || tokens.length !== 2) continue;
    tokens.sort((first, second) => second!.rows - first!.rows);
    const [word, segment] = tokens as [EmbeddingGather, EmbeddingGather];
    graph.remove(norm);
    graph.addNode(
      'EmbedLayerNormalization',
      [int32(word.indices), int32(segment.indices), word.table, position.table, segment.table, norm.input[1] ?? '', norm.input[2] ?? ''],
      [norm.output[0] ?? '', graph.uniqueName('embed_layer_norm_mask_index')],
      { name: 'EmbedLayerNormalization', domain: MICROSOFT_DOMAIN, attributes: { epsilon: [getFloatAttribute(norm, 'epsilon', 1e-5) ?? 1e-5, 'float'] } },
    );
    count += 1;
  }
  return count;
}
