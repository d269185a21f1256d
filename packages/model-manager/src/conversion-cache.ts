import { readdir, rm, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { computeFileSha256 } from './compute-file-sha256';
import { readConversionManifest, type CachedConversion, type ConversionKey, type ConversionManifest } from './conversion-manifest';
import { createConversionStaging, moveToTrash, stagingLockStaleMs, type ConversionStaging } from './conversion-staging';
import { canonicalizeOptions, hashConversionOptions } from './hash-conversion-options';
import { isAbandonedByOwner } from './owner-process';
import { resolveGpuxCacheDirectory } from './resolve-gpux-cache-directory';
import { toCachePathSegment } from './to-cache-path-segment';

/** Options of the {@link ConversionCache} constructor. */
export interface ConversionCacheOptions {
  /** Root of the conversion cache. @default resolveGpuxCacheDirectory() + "/conversions" */
  directory?: string;
}

const stagingFolder = '.staging';
const trashFolder = '.trash';
const optionsHashPattern = /^[0-9a-f]{16}$/;

/**
 * The cache of converted models. An entry lives at
 * `<directory>/<source id>/<revision>/<options hash>/` (each segment made safe by sanitizing) and
 * holds the converted files plus a `manifest.json` (sizes, sha256, canonical options, tool versions)
 * that is written last: a directory without a valid manifest is never returned, and the next
 * `beginConversion` or `listConversions` deletes it. Entries appear by one atomic rename from a
 * locked staging directory inside the cache, so concurrent processes converting the same model end
 * with one complete entry. Secret option keys (`token`, `authorization`, `password`, any case) are
 * neither hashed nor stored.
 *
 * @example
 * ```ts
 * const cache = new ConversionCache();
 * const key = { sourceId: 'org/name', revision: snapshot.revision, options: { opset: 17 } };
 * const cached = await cache.findConversion(key);
 * if (!cached) {
 *   const staging = await cache.beginConversion(key);
 *   try {
 *     await writeFile(path.join(staging.directory, 'model.onnx'), bytes);
 *     await staging.commit({ toolVersions: { torch: '2.5.1' } });
 *   } catch (error) { await staging.abort(); throw error; }
 * }
 * ```
 */
export class ConversionCache {
  /** Absolute path of the cache root. */
  readonly directory: string;

  constructor(options: ConversionCacheOptions = {}) {
    if (options.directory !== undefined && (typeof options.directory !== 'string' || options.directory === '')) {
      throw new TypeError(`Expected "directory" to be a non-empty path, received ${JSON.stringify(options.directory)}.`);
    }
    this.directory = options.directory === undefined ? path.join(resolveGpuxCacheDirectory(), 'conversions') : path.resolve(options.directory);
  }

  /**
   * sha256 of the canonical JSON of `options` (sorted keys, `undefined` and secret keys dropped), 16 hex digits.
   * @throws TypeError for values JSON cannot hold (bigint, cycles).
   * @example
   * ```ts
   * ConversionCache.hashOptions({ b: 1, a: 2 }) === ConversionCache.hashOptions({ a: 2, b: 1 }); // true
   * ```
   */
  static hashOptions(options: Record<string, unknown>): string {
    if (typeof options !== 'object' || options === null || Array.isArray(options)) {
      throw new TypeError(`Expected "options" to be an object, received ${Array.isArray(options) ? 'an array' : String(options)}.`);
    }
    return hashConversionOptions(options);
  }

  /** The directory an entry for `key` lives in (whether or not it exists). */
  entryDirectory(key: ConversionKey): string {
    checkKey(key);
    return path.join(this.directory, toCachePathSegment(key.sourceId), toCachePathSegment(key.revision), ConversionCache.hashOptions(key.options));
  }

  /**
   * Returns the complete cached conversion for `key`, or `undefined`. Complete means: a valid manifest
   * for this key and every listed file present with its size. With `verify`, every file is re-hashed;
   * an entry that fails is removed (so a fresh conversion can replace it) and `undefined` is returned.
   * @throws TypeError for a malformed key.
   */
  async findConversion(key: ConversionKey, options: { verify?: boolean } = {}): Promise<CachedConversion | undefined> {
    const directory = this.entryDirectory(key);
    const manifest = await readConversionManifest(directory);
    if (manifest === undefined || !manifestMatches(manifest, key)) return undefined;
    if (options.verify === true) {
      for (const file of manifest.files) {
        const { sha256 } = await computeFileSha256(path.join(directory, ...file.path.split('/')));
        if (sha256 !== file.sha256) {
          await moveToTrash(directory, path.join(this.directory, trashFolder));
          return undefined;
        }
      }
    }
    return { directory, manifest };
  }

  /**
   * Creates a locked staging directory inside the cache for the conversion of `key`. Write the
   * converted files into `staging.directory`, then `commit()` (or `abort()` on failure). Cleans
   * abandoned staging directories first.
   * @throws TypeError for a malformed key.
   */
  async beginConversion(key: ConversionKey): Promise<ConversionStaging> {
    const finalDirectory = this.entryDirectory(key);
    await this.cleanStaging();
    const options = canonicalizeOptions(key.options);
    const optionsHash = ConversionCache.hashOptions(key.options);
    return createConversionStaging({
      stagingRoot: path.join(this.directory, stagingFolder),
      trashRoot: path.join(this.directory, trashFolder),
      finalDirectory,
      manifestBase: { formatVersion: 1, sourceId: key.sourceId, revision: key.revision, options, optionsHash },
      matches: (manifest) => manifestMatches(manifest, key),
    });
  }

  /**
   * Lists every complete conversion (sorted by source id, revision, then creation time), deleting
   * incomplete entries and abandoned staging directories on the way.
   */
  async listConversions(): Promise<CachedConversion[]> {
    await this.cleanStaging();
    const found: CachedConversion[] = [];
    for (const source of await subdirectories(this.directory)) {
      for (const revision of await subdirectories(path.join(this.directory, source))) {
        for (const optionsHash of await subdirectories(path.join(this.directory, source, revision))) {
          const directory = path.join(this.directory, source, revision, optionsHash);
          const manifest = await readConversionManifest(directory);
          const expected =
            manifest === undefined
              ? undefined
              : path.join(this.directory, toCachePathSegment(manifest.sourceId), toCachePathSegment(manifest.revision), manifest.optionsHash);
          if (manifest !== undefined && expected === directory && ConversionCache.hashOptions(manifest.options) === manifest.optionsHash) {
            found.push({ directory, manifest });
          } else {
            await moveToTrash(directory, path.join(this.directory, trashFolder));
          }
        }
      }
    }
    return found.sort(
      (left, right) =>
        compare(left.manifest.sourceId, right.manifest.sourceId) ||
        compare(left.manifest.revision, right.manifest.revision) ||
        compare(left.manifest.createdAt, right.manifest.createdAt),
    );
  }

  /**
   * Removes a cached conversion, named by its key, its cached directory, or
   * `<sourceId>@<revision>#<optionsHash>`. Empty parent directories are removed too.
   * @returns true when an entry was removed, false when there was none.
   * @throws TypeError for a directory outside the cache's entry layout or a malformed target.
   */
  async removeConversion(target: ConversionKey | string): Promise<boolean> {
    const directory = this.targetDirectory(target);
    const removed = await moveToTrash(directory, path.join(this.directory, trashFolder));
    for (const parent of [path.dirname(directory), path.dirname(path.dirname(directory))]) {
      await rmdir(parent).catch(() => undefined);
    }
    return removed;
  }

  private targetDirectory(target: ConversionKey | string): string {
    if (typeof target !== 'string') return this.entryDirectory(target);
    const hashAt = target.lastIndexOf('#');
    const revisionAt = hashAt === -1 ? -1 : target.lastIndexOf('@', hashAt);
    const insideCache = path.isAbsolute(target) && path.resolve(target).startsWith(`${this.directory}${path.sep}`);
    if (!insideCache && hashAt > 0 && revisionAt > 0) {
      const sourceId = target.slice(0, revisionAt);
      const revision = target.slice(revisionAt + 1, hashAt);
      const optionsHash = target.slice(hashAt + 1);
      if (revision === '' || !optionsHashPattern.test(optionsHash)) {
        throw new TypeError(`Expected "target" as "<sourceId>@<revision>#<16 hex digit options hash>", received ${JSON.stringify(target)}.`);
      }
      return path.join(this.directory, toCachePathSegment(sourceId), toCachePathSegment(revision), optionsHash);
    }
    const resolved = path.resolve(target);
    const parts = path.relative(this.directory, resolved).split(path.sep);
    if (parts.length !== 3 || parts.some((part) => part === '' || part === '..' || part.startsWith('.')) || !optionsHashPattern.test(parts[2] ?? '')) {
      throw new TypeError(`Expected "target" to be a conversion directory inside ${this.directory}, a ConversionKey, or "<sourceId>@<revision>#<optionsHash>"; received ${JSON.stringify(target)}.`);
    }
    return resolved;
  }

  /**
   * Deletes staging directories whose lock is gone or stale or whose owning process (named in the
   * directory name) no longer runs, orphaned locks, and leftover trash.
   */
  private async cleanStaging(): Promise<void> {
    const stagingRoot = path.join(this.directory, stagingFolder);
    const entries = await readdir(stagingRoot).catch(() => [] as string[]);
    for (const name of entries) {
      const entryPath = path.join(stagingRoot, name);
      if (name.endsWith('.lock')) {
        const owner = entryPath.slice(0, -'.lock'.length);
        const ownerExists = await stat(owner).then(() => true, () => false);
        const lockAge = await stat(entryPath).then((info) => Date.now() - info.mtimeMs, () => 0);
        if (!ownerExists && (lockAge > stagingLockStaleMs || isAbandonedByOwner(path.basename(owner)))) await rm(entryPath, { recursive: true, force: true });
        continue;
      }
      const locked = await lockfile.check(entryPath, { realpath: false, stale: stagingLockStaleMs }).catch(() => true);
      if (!locked || isAbandonedByOwner(name)) {
        await rm(entryPath, { recursive: true, force: true });
        await rm(`${entryPath}.lock`, { recursive: true, force: true });
      }
    }
    for (const name of await readdir(path.join(this.directory, trashFolder)).catch(() => [] as string[])) {
      await rm(path.join(this.directory, trashFolder, name), { recursive: true, force: true });
    }
  }
}

function checkKey(key: ConversionKey): void {
  if (typeof key !== 'object' || key === null) throw new TypeError(`Expected "key" to be { sourceId, revision, options }, received ${String(key)}.`);
  if (typeof key.sourceId !== 'string' || key.sourceId === '' || key.sourceId.includes('\0')) {
    throw new TypeError(`Expected "key.sourceId" to be a non-empty string, received ${JSON.stringify(key.sourceId)}.`);
  }
  if (typeof key.revision !== 'string' || key.revision === '' || key.revision.includes('\0')) {
    throw new TypeError(`Expected "key.revision" to be a non-empty string (a resolved revision), received ${JSON.stringify(key.revision)}.`);
  }
  if (typeof key.options !== 'object' || key.options === null || Array.isArray(key.options)) {
    throw new TypeError(`Expected "key.options" to be an object, received ${JSON.stringify(key.options)}.`);
  }
}

function manifestMatches(manifest: ConversionManifest, key: ConversionKey): boolean {
  return manifest.sourceId === key.sourceId && manifest.revision === key.revision && manifest.optionsHash === ConversionCache.hashOptions(key.options);
}

async function subdirectories(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isDirectory() && !entry.name.startsWith('.')).map((entry) => entry.name).sort();
}

function compare(left: string, right: string): number {
  return left < right ? -1 : left > right ? 1 : 0;
}
