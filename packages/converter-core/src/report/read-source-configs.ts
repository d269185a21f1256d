import { readFile } from 'node:fs/promises';
import path from 'node:path';

/** The JSON configs of a Transformers-style model directory that gpux.yml draws on. */
export interface SourceConfigs {
  config?: Record<string, unknown>;
  tokenizerConfig?: Record<string, unknown>;
  preprocessorConfig?: Record<string, unknown>;
  hasTokenizerJson: boolean;
}

async function readJsonObject(filePath: string): Promise<Record<string, unknown> | undefined> {
  const text = await readFile(filePath, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Reads `config.json`, `tokenizer_config.json` and `preprocessor_config.json` when present (malformed files are ignored). */
export async function readSourceConfigs(directory: string | undefined): Promise<SourceConfigs> {
  if (directory === undefined) return { hasTokenizerJson: false };
  const [config, tokenizerConfig, preprocessorConfig, tokenizerJson] = await Promise.all([
    readJsonObject(path.join(directory, 'config.json')),
    readJsonObject(path.join(directory, 'tokenizer_config.json')),
    readJsonObject(path.join(directory, 'preprocessor_config.json')),
    readFile(path.join(directory, 'tokenizer.json')).then(() => true, () => false),
  ]);
  return { config, tokenizerConfig, preprocessorConfig, hasTokenizerJson: tokenizerJson };
}

/**
 * Files copied from a source directory into the output (the set transformers.js and Optimum
 * expect beside `onnx/`): model and generation configs, tokenizer files, preprocessing configs and
 * sentencepiece models.
 */
export const COPIED_SOURCE_FILES: readonly string[] = [
  'config.json',
  'generation_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'added_tokens.json',
  'vocab.txt',
  'vocab.json',
  'merges.txt',
  'preprocessor_config.json',
  'feature_extractor_config.json',
  'image_processor_config.json',
  'processor_config.json',
  'chat_template.json',
  'chat_template.jinja',
  'spiece.model',
  'sentencepiece.bpe.model',
  'tokenizer.model',
  'source.spm',
  'target.spm',
];
