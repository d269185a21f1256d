import { lstat, readFile } from 'node:fs/promises';
import path from 'node:path';

/** Identifies one conversion: the source model, its resolved revision, and the conversion options. */
export interface ConversionKey {
  /** The source model id (`org/name`, or an absolute path for local models). */
  sourceId: string;
  /** The resolved, immutable revision of the source (commit sha or content hash). */
  revision: string;
  /** Every option that changes the output. Secret keys (`token`, `authorization`, `password`) are ignored. */
  options: Record<string, unknown>;
}

/** A file of a cached conversion. */
export interface ConversionManifestFile {
  /** Path relative to the conversion directory, `/` separators. */
  path: string;
  size: number;
  /** Lowercase hex sha256. */
  sha256: string;
}

/** The `manifest.json` of a cached conversion; written last, so its presence marks a complete entry. */
export interface ConversionManifest {
  formatVersion: 1;
  sourceId: string;
  revision: string;
  /** The options in canonical form (sorted keys, no `undefined`, no secrets). */
  options: Record<string, unknown>;
  optionsHash: string;
  files: ConversionManifestFile[];
  /** Versions of the tools that produced the files (`torch`, `onnx`, `@gpux/converter-core`, ...). */
  toolVersions: Record<string, string>;
  /** ISO 8601 time of the commit. */
  createdAt: string;
}

/** A complete conversion in the cache. */
export interface CachedConversion {
  /** Absolute path of the directory holding the files and `manifest.json`. */
  directory: string;
  manifest: ConversionManifest;
}

/** The name of the manifest inside a conversion directory. */
export const manifestFileName = 'manifest.json';

/** True for a relative `/`-separated path that stays inside its directory. */
export function isSafeRelativePath(value: string): boolean {
  if (value === '' || value.includes('\\') || value.includes('\0') || value.startsWith('/') || /^[A-Za-z]:/.test(value)) return false;
  return value.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}

/**
 * Reads and checks the manifest of a conversion directory: well-formed, every listed file present
 * with its recorded size. Returns `undefined` for a missing, malformed or inconsistent manifest;
 * other I/O errors (permissions, too many open files) are thrown, so that nothing is deleted by mistake.
 */
export async function readConversionManifest(directory: string): Promise<ConversionManifest | undefined> {
  const text = await readFile(path.join(directory, manifestFileName), 'utf8').catch(absentAsUndefined);
  if (text === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isManifest(parsed)) return undefined;
  for (const file of parsed.files) {
    const info = await lstat(path.join(directory, ...file.path.split('/'))).catch(absentAsUndefined);
    if (info === undefined || !info.isFile() || info.size !== file.size) return undefined;
  }
  return parsed;
}

/** Maps "does not exist" errors to `undefined` and rethrows the rest (permissions, too many open files). */
function absentAsUndefined(error: unknown): undefined {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined;
  throw error;
}

function isManifest(value: unknown): value is ConversionManifest {
  if (typeof value !== 'object' || value === null) return false;
  const manifest = value as Record<string, unknown>;
  return (
    manifest.formatVersion === 1 &&
    typeof manifest.sourceId === 'string' &&
    typeof manifest.revision === 'string' &&
    typeof manifest.optionsHash === 'string' &&
    typeof manifest.createdAt === 'string' &&
    isRecord(manifest.options) &&
    isRecord(manifest.toolVersions) &&
    Object.values(manifest.toolVersions).every((version) => typeof version === 'string') &&
    Array.isArray(manifest.files) &&
    manifest.files.every(isManifestFile)
  );
}

function isManifestFile(value: unknown): value is ConversionManifestFile {
  if (typeof value !== 'object' || value === null) return false;
  const file = value as Record<string, unknown>;
  return (
    typeof file.path === 'string' &&
    isSafeRelativePath(file.path) &&
    file.path !== manifestFileName &&
    typeof file.size === 'number' &&
    Number.isSafeInteger(file.size) &&
    file.size >= 0 &&
    typeof file.sha256 === 'string' &&
    /^[0-9a-f]{64}$/.test(file.sha256)
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
