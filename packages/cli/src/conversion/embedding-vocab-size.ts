import { loadOnnxModel } from '@gpux/converter-core';

/**
 * The vocabulary size of a text model: the row count of the embedding table that a `Gather` (or a
 * fused `EmbedLayerNormalization`) reads with the `input_ids` graph input (directly or through a Cast). Undefined for models without one.
 */
export async function embeddingVocabSize(modelPath: string): Promise<number | undefined> {
  const model = await loadOnnxModel(modelPath);
  const graph = model.graph;
  if (graph === undefined) return undefined;
  const idsInput = graph.input.find((input) => /input_ids/i.test(input.name ?? ''));
  if (idsInput === undefined) return undefined;
  const initializers = new Map(graph.initializer.map((tensor) => [tensor.name, tensor]));
  // Names that carry the ids: the graph input and Casts of it (fused graphs feed int32 ids).
  const idNames = new Set([idsInput.name]);
  for (const node of graph.node) {
    if (node.opType === 'Cast' && idNames.has(node.input[0])) for (const output of node.output) idNames.add(output);
  }
  for (const node of graph.node) {
    // Gather(table, ids), or after O2 fusion com.microsoft EmbedLayerNormalization(ids, segment_ids, word_embedding, ...).
    const table = node.opType === 'Gather' && idNames.has(node.input[1]) ? node.input[0] : node.opType === 'EmbedLayerNormalization' && idNames.has(node.input[0]) ? node.input[2] : undefined;
    const rows = table === undefined ? undefined : initializers.get(table)?.dims[0];
    if (rows !== undefined) return Number(rows);
  }
  return undefined;
}
