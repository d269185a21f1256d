import { readFile } from 'node:fs/promises';
import { ConversionError } from '@gpux/converter-core';
import { Command, CommanderError } from 'commander';
import { parse as parseYaml } from 'yaml';
import { addModelConversionOptions, type ModelConversionCliOptions } from '../conversion/model-conversion-options';

/** One model of a batch: its source, an optional name (its output folder) and its own options. */
export interface BatchManifestEntry {
  source: string;
  name?: string;
  /** The per-model options of `convert` this entry sets. */
  options: ModelConversionCliOptions;
}

/** A parsed batch file: defaults for every entry (manifests only) and the entries in order. */
export interface BatchManifest {
  defaults: ModelConversionCliOptions;
  entries: BatchManifestEntry[];
}

/** The per-model options of `convert` (as on `batch`'s command line) plus `--name`, for lines and manifests alike. */
function jobOptionsCommand(): Command {
  const command = new Command('line')
    .exitOverride()
    .configureOutput({ writeErr: () => undefined, writeOut: () => undefined })
    .argument('<source>')
    .allowExcessArguments(false);
  return addModelConversionOptions(command).option('--name <name>');
}

/** Splits a line into words: blanks separate them, single or double quotes keep blanks inside one. */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  let current: string | undefined;
  let quote: string | undefined;
  for (const character of line) {
    if (quote !== undefined) {
      if (character === quote) quote = undefined;
      else current = (current ?? '') + character;
    } else if (character === '"' || character === "'") {
      quote = character;
      current = current ?? '';
    } else if (/\s/.test(character)) {
      if (current !== undefined) words.push(current);
      current = undefined;
    } else {
      current = (current ?? '') + character;
    }
  }
  if (quote !== undefined) throw new TypeError(`unclosed ${quote} quote`);
  if (current !== undefined) words.push(current);
  return words;
}

/** Parses the words of one entry with the per-model options. */
function parseEntryWords(words: string[], where: string): BatchManifestEntry {
  const command = jobOptionsCommand();
  try {
    command.parse(words, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) throw new TypeError(`${where}: ${error.message.replace(/^error: /, '')}`);
    throw error;
  }
  const { name, validate, ...rest } = command.opts<ModelConversionCliOptions & { name?: string }>();
  const options: ModelConversionCliOptions = { ...rest };
  // commander's --no-validate default is true: keep only an explicit "off".
  if (validate === false) options.validate = false;
  return { source: command.args[0] as string, name, options };
}

/** The words a manifest's option object stands for (`{ quantize: ['int8'], validate: false }` -> `--quantize int8 --no-validate`). */
function optionWords(options: Record<string, unknown>, where: string): string[] {
  const words: string[] = [];
  for (const [key, value] of Object.entries(options)) {
    const flag = `--${key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
    if (key === 'validate' || key === 'trustRemoteCode') {
      if (typeof value !== 'boolean') throw new TypeError(`${where}: "${key}" must be true or false, received ${JSON.stringify(value)}`);
      if (key === 'validate' && !value) words.push('--no-validate');
      if (key === 'trustRemoteCode' && value) words.push('--trust-remote-code');
      continue;
    }
    if (key === 'staticShapes' && typeof value === 'object' && value !== null && !Array.isArray(value)) {
      words.push(flag, Object.entries(value).map(([dim, size]) => `${dim}=${String(size)}`).join(','));
      continue;
    }
    const text = Array.isArray(value) ? value.map(String).join(',') : typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
    if (text === undefined) throw new TypeError(`${where}: "${key}" has an unsupported value ${JSON.stringify(value)}`);
    words.push(flag, text);
  }
  return words;
}

/** Reads the lines format: one source a line with its options, `#` comments and blank lines skipped. */
function parseLines(text: string): BatchManifest {
  const entries: BatchManifestEntry[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (line === '') return;
    const where = `line ${String(index + 1)}`;
    let words: string[];
    try {
      words = splitWords(line);
    } catch (error) {
      throw new TypeError(`${where}: ${(error as Error).message}`);
    }
    entries.push(parseEntryWords(words, where));
  });
  return { defaults: {}, entries };
}

/** Reads a YAML or JSON manifest: `{ defaults?: {...}, models: [ "id" | { source, name?, ...options } ] }` or just the list. */
function parseManifest(document: unknown): BatchManifest {
  const root = Array.isArray(document) ? { models: document } : document;
  if (typeof root !== 'object' || root === null || !Array.isArray((root as { models?: unknown }).models)) {
    throw new TypeError('The manifest must be a list of models or an object with a "models" list (and optional "defaults").');
  }
  const { models, defaults } = root as { models: unknown[]; defaults?: unknown };
  if (defaults !== undefined && (typeof defaults !== 'object' || defaults === null || Array.isArray(defaults))) {
    throw new TypeError('The manifest\'s "defaults" must be an object of options (optimize, quantize, task, ...).');
  }
  const parsedDefaults = defaults === undefined ? {} : parseEntryWords(['defaults', ...optionWords(defaults as Record<string, unknown>, 'defaults')], 'defaults').options;
  const entries = models.map((model, index) => {
    const where = `models[${String(index)}]`;
    if (typeof model === 'string') return parseEntryWords([model], where);
    if (typeof model !== 'object' || model === null || typeof (model as { source?: unknown }).source !== 'string') {
      throw new TypeError(`${where}: expected a source string or an object with "source", received ${JSON.stringify(model)}`);
    }
    const { source, ...options } = model as { source: string } & Record<string, unknown>;
    return parseEntryWords([source, ...optionWords(options, where)], where);
  });
  return { defaults: parsedDefaults, entries };
}

/**
 * Parses a batch file. JSON (`.json`, or text starting with `{` or `[`) and YAML (`.yaml`/`.yml`,
 * or text with a top-level `models:` key) are manifests; anything else is the lines format:
 *
 * ```text
 * # one source a line, with the options of `convert` that apply to one model
 * sentence-transformers/all-MiniLM-L6-v2 --optimize O2 --quantize int8
 * ./models/resnet50.onnx --quantize fp16 --name resnet
 * ```
 *
 * @throws TypeError naming the line or entry for an unknown option, a bad value or an empty batch.
 */
export function parseBatchManifest(text: string, fileName = '-'): BatchManifest {
  const trimmed = text.trimStart();
  const isJson = /\.json$/i.test(fileName) || trimmed.startsWith('{') || trimmed.startsWith('[');
  const isYaml = /\.ya?ml$/i.test(fileName) || /^models\s*:/m.test(text);
  let manifest: BatchManifest;
  if (isJson || isYaml) {
    let document: unknown;
    try {
      document = isJson ? JSON.parse(text) : parseYaml(text);
    } catch (error) {
      throw new TypeError(`${fileName}: not valid ${isJson ? 'JSON' : 'YAML'}: ${(error as Error).message}`);
    }
    manifest = parseManifest(document);
  } else {
    manifest = parseLines(text);
  }
  if (manifest.entries.length === 0) throw new TypeError(`${fileName === '-' ? 'standard input' : fileName} lists no models.`);
  return manifest;
}

/** Reads and parses a batch file, or standard input for `-`. */
export async function readBatchManifest(file: string, stdin: NodeJS.ReadableStream = process.stdin): Promise<BatchManifest> {
  if (file !== '-') {
    const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'EISDIR') {
        throw new ConversionError('SOURCE_NOT_FOUND', `The batch file ${file} ${error.code === 'EISDIR' ? 'is a directory' : 'does not exist'}. Pass a file with one model a line (or a .yaml/.json manifest), or - to read standard input.`, { cause: error });
      }
      throw error;
    });
    return parseBatchManifest(text, file);
  }
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return parseBatchManifest(Buffer.concat(chunks).toString('utf8'), '-');
}
