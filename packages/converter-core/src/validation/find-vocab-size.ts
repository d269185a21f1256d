import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { loadOnnxModel, type ModelProto } from '@gpux/onnx';

/** Options of {@link findVocabSize}. */
export interface FindVocabSizeOptions {
  /**
   * The model's config when the caller has it already (the pipeline merges the source's
   * `config.json` with what the export reports). Its `vocab_size` then takes the place of the
   * `config.json` files beside the model, which are not read.
   */
  config?: Record<string, unknown>;
}

/** A vocabulary size is a positive whole number; anything else says nothing. */
function vocabSizeOf(config: Record<string, unknown> | undefined): number | undefined {
  const value = config?.vocab_size;
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

/**
 * The vocabulary size of a text model, so that generated token ids stay inside it. The config comes
 * first: `vocab_size` of `options.config` when given, else of the `config.json` beside the model (or,
 * for a file in a gpux-convert output's `onnx/` folder, of the output). Else the row count of the
 * embedding table that a `Gather` (or a fused `EmbedLayerNormalization`) reads with the `input_ids`
 * graph input, directly or through a Cast. Undefined for models with neither.
 *
 * The graph fallback reads the `.onnx` file (tensor bytes stay views into it); external data files
 * are not read.
 *
 * @throws TypeError when `modelPath` is not a non-empty string.
 * @throws OnnxError `INVALID_MODEL_FILE` (from `loadOnnxModel`) when the config gives no size and the
 *   model cannot be read.
 * @example
 * ```ts
 * const vocabSize = await findVocabSize('./out/onnx/model.onnx'); // 30522 for bert-base-uncased
 * ```
 */
export async function findVocabSize(modelPath: string, options: FindVocabSizeOptions = {}): Promise<number | undefined> {
  if (typeof modelPath !== 'string' || modelPath === '') throw new TypeError(`Parameter "modelPath" must be a non-empty string, received ${JSON.stringify(modelPath)}.`);
  const fromConfig = options.config === undefined ? await configFileVocabSize(path.dirname(path.resolve(modelPath))) : vocabSizeOf(options.config);
  return fromConfig ?? embeddingRows(await loadOnnxModel(modelPath));
}

async function configFileVocabSize(directory: string): Promise<number | undefined> {
  const candidates = [path.join(directory, 'config.json'), ...(path.basename(directory) === 'onnx' ? [path.join(directory, '..', 'config.json')] : [])];
  for (const candidate of candidates) {
    let text: string;
    try {
      text = await readFile(candidate, 'utf8');
    } catch {
      continue; // No config here: try the next place.
    }
    let config: unknown;
    try {
      config = JSON.parse(text);
    } catch {
      continue; // An unreadable config says nothing about the vocabulary.
    }
    const size = typeof config === 'object' && config !== null ? vocabSizeOf(config as Record<string, unknown>) : undefined;
    if (size !== undefined) return size;
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
