import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** A model id split into its registry, canonical id and revision. */
export interface ParsedModelId {
  /** Which kind of registry serves the id. */
  registry: 'huggingface' | 'local';
  /** `org/name` (or a legacy bare `name`) for the hub; an absolute path for local models. */
  id: string;
  /** The revision after `@` (hub ids only). */
  revision?: string;
}

/** Options of {@link parseModelId}. */
export interface ParseModelIdOptions {
  /** Directory that relative paths are resolved against. @default process.cwd() */
  cwd?: string;
  /** Decides whether an ambiguous id (`org/name`) names an existing local path. @default fs.existsSync */
  pathExists?: (absolutePath: string) => boolean;
}

const hubSegment = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?$/;
const hubRevision = /^[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)*$/;

/**
 * Parses a model id and decides which registry serves it.
 *
 * Forms:
 * - `hf:org/name[@revision]` — always the Hugging Face hub.
 * - `file:` URLs (`file:///abs/dir`) and `file:` prefixes (`file:./dir`), absolute paths, and
 *   paths starting with `./`, `../` or `~/` — a local directory or model file.
 * - `org/name[@revision]` or a bare `name` — the hub, unless a local path with that exact name exists
 *   (the same precedence as transformers' `from_pretrained`); prefix `hf:` to force the hub.
 *
 * @throws TypeError when `id` is empty, names a malformed hub repository (`org/name@`, `..`,
 * three segments, characters the hub does not allow) or is a `file:` URL with a host.
 * @example
 * ```ts
 * parseModelId('hf:google-bert/bert-base-uncased@main'); // { registry: 'huggingface', id: 'google-bert/bert-base-uncased', revision: 'main' }
 * parseModelId('./models/bert'); // { registry: 'local', id: '/abs/cwd/models/bert' }
 * ```
 */
export function parseModelId(id: string, options: ParseModelIdOptions = {}): ParsedModelId {
  if (typeof id !== 'string' || id.trim() === '') {
    throw new TypeError(`Expected "id" to be a non-empty model id such as "org/name" or "./model-dir", received ${JSON.stringify(id)}.`);
  }
  const cwd = options.cwd ?? process.cwd();
  const pathExists = options.pathExists ?? existsSync;

  if (id.startsWith('hf:')) return parseHubId(id.slice(3), id);
  if (id.startsWith('file:')) return { registry: 'local', id: parseFileId(id, cwd) };
  if (looksLikePath(id)) return { registry: 'local', id: resolveLocalPath(id, cwd) };
  if (pathExists(path.resolve(cwd, id))) return { registry: 'local', id: path.resolve(cwd, id) };
  return parseHubId(id, id);
}

function looksLikePath(id: string): boolean {
  return (
    path.isAbsolute(id) ||
    id === '.' ||
    id === '..' ||
    id === '~' ||
    /^\.{1,2}[\\/]/.test(id) ||
    id.startsWith('~/') ||
    /^[A-Za-z]:[\\/]/.test(id)
  );
}

function resolveLocalPath(id: string, cwd: string): string {
  if (id === '~' || id.startsWith('~/')) {
    const home = process.env.HOME ?? process.env.USERPROFILE;
    if (home === undefined) throw new TypeError(`Cannot expand "~" in id ${JSON.stringify(id)}: HOME is not set; pass an absolute path.`);
    return path.resolve(home, id.slice(2));
  }
  return path.resolve(cwd, id);
}

function parseFileId(id: string, cwd: string): string {
  if (id.startsWith('file://')) {
    try {
      return path.resolve(fileURLToPath(id));
    } catch (error) {
      throw new TypeError(`Expected "id" to be a local file URL such as "file:///models/bert", received ${JSON.stringify(id)} (${(error as Error).message}).`);
    }
  }
  const rest = id.slice('file:'.length);
  if (rest === '') throw new TypeError('Expected a path after "file:" in "id", received "file:".');
  return resolveLocalPath(rest, cwd);
}

function parseHubId(body: string, original: string): ParsedModelId {
  const at = body.indexOf('@');
  const name = at === -1 ? body : body.slice(0, at);
  const revision = at === -1 ? undefined : body.slice(at + 1);
  const segments = name.split('/');
  const valid =
    segments.length >= 1 &&
    segments.length <= 2 &&
    segments.every((segment) => hubSegment.test(segment) && !segment.includes('--') && !segment.includes('..'));
  if (!valid) {
    throw new TypeError(
      `Expected "id" to be a hub repository "org/name[@revision]" (letters, digits, "-", "_", "." ; no "..", "--" or extra "/"), received ${JSON.stringify(original)}. ` +
        'For a local directory, start the id with "./", "/" or "file:".',
    );
  }
  if (revision !== undefined && (!hubRevision.test(revision) || revision.split('/').some((part) => part === '.' || part === '..'))) {
    throw new TypeError(
      `Expected a revision (branch, tag or commit) after "@" in "id", received ${JSON.stringify(original)}. Drop the "@" or name a revision such as "@main".`,
    );
  }
  return revision === undefined ? { registry: 'huggingface', id: name } : { registry: 'huggingface', id: name, revision };
}
