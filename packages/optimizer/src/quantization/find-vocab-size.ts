import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { loadOnnxModel, type ModelProto } from '@gpux/onnx';

/**
 * The vocabulary size of a text model, so that generated token ids stay inside it: `vocab_size` of
 * the `config.json` beside the model (or, for a file in a gpux-convert output's `onnx/` folder, of the
 * output), else the row count of the embedding table that a `Gather` (or a fused
 * `EmbedLayerNormalization`) reads with the `input_ids` graph input, directly or through a Cast.
 * Undefined for models with neither.
 *
 * @throws ConversionError from `loadOnnxModel` when there is no config and the model cannot be read.
 * @example
 * ```ts
 * const vocabSize = await findVocabSize('./out/onnx/model.onnx'); // 30522 for bert-base-uncased
 * ```
 */
export async function findVocabSize(modelPath: string): Promise<number | undefined> {
  if (typeof modelPath !== 'string' || modelPath === '') throw new TypeError(`Parameter "modelPath" must be a non-empty string, received ${JSON.stringify(modelPath)}.`);
  return (await configVocabSize(path.dirname(path.resolve(modelPath)))) ?? embeddingRows(await loadOnnxModel(modelPath));
}

async function configVocabSize(directory: string): Promise<number | undefined> {
  const candidates = [path.join(directory, 'config.json'), ...(path.basename(directory) === 'onnx' ? [path.join(directory, '..', 'config.json')] : [])];
  for (const candidate of candidates) {
    let text: string;
    try {
      text = await readFile(candidate, 'utf8');
    } catch {
      continue; // No config here: try the next place.
    }
    let config: { vocab_size?: unknown };
    try {
      config = JSON.parse(text) as { vocab_size?: unknown };
    } catch {
      continue; // An unreadable config says nothing about the vocabulary.
    }
    if (typeof config.vocab_size === 'number' && config.vocab_size > 0) return config.vocab_size;
  }
  return undefined;
}

function embeddingRows(model: ModelProto): number | undefined {
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
