import { readFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * `vocab_size` from the config.json of a model folder — or, for a file inside a gpux-convert output's
 * `onnx/` folder, of the output — so that generated token ids stay inside the vocabulary.
 */
export async function readVocabSize(directory: string): Promise<number | undefined> {
  const candidates = [path.join(directory, 'config.json'), ...(path.basename(directory) === 'onnx' ? [path.join(directory, '..', 'config.json')] : [])];
  for (const candidate of candidates) {
    try {
      const config = JSON.parse(await readFile(candidate, 'utf8')) as { vocab_size?: unknown };
      if (typeof config.vocab_size === 'number' && config.vocab_size > 0) return config.vocab_size;
    } catch {
      // No readable config here: try the next place.
    }
  }
  return undefined;
}
