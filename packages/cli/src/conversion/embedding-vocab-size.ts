import { loadOnnxModel } from '@gpux/converter-core';

/**
 * The vocabulary size of a text model: the row count of the embedding table that a `Gather` (or a
 * fused `EmbedLayerNormalization`) reads with the `input_ids` graph input. Undefined for models without one.
 */
export async function embeddingVocabSize(modelPath: string): Promise<number | undefined> {
  const model = await loadOnnxModel(modelPath);
  const graph = model.graph;
  if (graph === undefined) return undefined;
  const idsInput = graph.input.find((input) => /input_ids/i.test(input.name ?? ''));
  if (idsInput === undefined) return undefined;
  const initializers = new Map(graph.initializer.map((tensor) => [tensor.name, tensor]));
  for (const node of graph.node) {
    // Gather(table, ids), or after O2 fusion com.microsoft EmbedLayerNormalization(ids, segment_ids, word_embedding, ...).
    const table = node.opType === 'Gather' && node.input[1] === idsInput.name ? node.input[0] : node.opType === 'EmbedLayerNormalization' && node.input[0] === idsInput.name ? node.input[2] : undefined;
    const rows = table === undefined ? undefined : initializers.get(table)?.dims[0];
    if (rows !== undefined) return Number(rows);
  }
  return undefined;
}
