import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { computeFileSha256 } from './compute-file-sha256';
import { manifestFileName, readConversionManifest, type CachedConversion, type ConversionManifest, type ConversionManifestFile } from './conversion-manifest';
import { ownerProcessTag } from './owner-process';
import { RegistryError } from './registry-error';

/** A directory where one conversion writes its files before they enter the cache. */
export interface ConversionStaging {
  /** Absolute path of the staging directory (inside the cache directory, so the final rename is atomic). */
  directory: string;
  /**
   * Hashes every staged file, writes `manifest.json` last and renames the directory into the cache.
   * When a complete entry for the same key appeared meanwhile, that entry is kept and returned, and
   * the staged files are discarded. On failure the staging directory is removed.
   * @throws RegistryError `UNSAFE_PATH` for a staged symlink; `REGISTRY_ERROR` when nothing was staged,
   * a file is named `manifest.json` at the top, or the staging was already committed or aborted.
   */
  commit(meta: { toolVersions: Record<string, string> }): Promise<CachedConversion>;
  /** Removes the staging directory and everything in it. Safe to call twice or after a failed commit. */
  abort(): Promise<void>;
}

/** How long a staging directory's lock stays fresh without an update (proper-lockfile `stale`). */
export const stagingLockStaleMs = 60_000;

/** What a staging needs to know about its cache entry. */
export interface StagingTarget {
  stagingRoot: string;
  trashRoot: string;
  finalDirectory: string;
  manifestBase: Omit<ConversionManifest, 'files' | 'toolVersions' | 'createdAt'>;
  /** True when an existing manifest belongs to the same key. */
  matches(manifest: ConversionManifest): boolean;
}

/**
 * Creates a locked staging directory. The lock (a sibling `<dir>.lock`, refreshed in the background)
 * is taken before the directory exists, so cache cleaners never remove a live staging directory.
 */
export async function createConversionStaging(target: StagingTarget): Promise<ConversionStaging> {
  await mkdir(target.stagingRoot, { recursive: true });
  // The owner tag lets the next run sweep this directory at once if this process is killed.
  const directory = path.join(target.stagingRoot, `${path.basename(target.finalDirectory)}-${ownerProcessTag()}-${randomBytes(6).toString('hex')}`);
  let compromised: Error | undefined;
  const release = await lockfile.lock(directory, {
    realpath: false,
    stale: stagingLockStaleMs,
    update: stagingLockStaleMs / 6,
    onCompromised: (error) => {
      compromised = error;
    },
  });
  await mkdir(directory);
  let state: 'open' | 'committing' | 'closed' = 'open';

  const close = async (): Promise<void> => {
    state = 'closed';
    await rm(directory, { recursive: true, force: true });
    await release().catch(() => undefined);
  };

  return {
    directory,
    abort: async () => {
      if (state === 'closed') return;
      await close();
    },
    commit: async (meta) => {
      if (state !== 'open') throw new RegistryError('REGISTRY_ERROR', 'This conversion staging was already committed or aborted; begin a new conversion.');
      if (typeof meta !== 'object' || meta === null || !isStringRecord(meta.toolVersions)) {
        throw new TypeError('Expected "meta.toolVersions" to be an object of version strings, such as { torch: "2.5.1" }.');
      }
      state = 'committing';
      try {
        const files = await hashStagedFiles(directory);
        if (compromised !== undefined) {
          throw new RegistryError('REGISTRY_ERROR', `The lock of staging directory ${directory} was lost (${compromised.message}); run the conversion again.`, { cause: compromised });
        }
        const manifest: ConversionManifest = { ...target.manifestBase, files, toolVersions: { ...meta.toolVersions }, createdAt: new Date().toISOString() };
        const manifestPath = path.join(directory, manifestFileName);
        await writeFile(`${manifestPath}.incomplete`, `${JSON.stringify(manifest, null, 2)}\n`);
        await rename(`${manifestPath}.incomplete`, manifestPath);
        const result = await moveIntoPlace(directory, manifest, target);
        state = 'closed';
        if (result.directory !== directory) await rm(directory, { recursive: true, force: true });
        await release().catch(() => undefined);
        return result;
      } catch (error) {
        await close();
        throw error;
      }
    },
  };
}

async function moveIntoPlace(directory: string, manifest: ConversionManifest, target: StagingTarget): Promise<CachedConversion> {
  for (let attempt = 0; attempt < 8; attempt += 1) {
    await mkdir(path.dirname(target.finalDirectory), { recursive: true });
    try {
      await rename(directory, target.finalDirectory);
      return { directory: target.finalDirectory, manifest };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') continue;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'EPERM') throw error;
    }
    const existing = await readConversionManifest(target.finalDirectory);
    if (existing !== undefined && target.matches(existing)) return { directory: target.finalDirectory, manifest: existing };
    await moveToTrash(target.finalDirectory, target.trashRoot);
  }
  throw new RegistryError('REGISTRY_ERROR', `Could not move the conversion into ${target.finalDirectory}: it kept changing. Check that no other tool writes into the cache.`);
}

/** Renames `directory` into the trash folder, then deletes it. Returns false when it did not exist. */
export async function moveToTrash(directory: string, trashRoot: string): Promise<boolean> {
  await mkdir(trashRoot, { recursive: true });
  const trashed = path.join(trashRoot, randomBytes(8).toString('hex'));
  try {
    await rename(directory, trashed);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  await rm(trashed, { recursive: true, force: true });
  return true;
}

async function hashStagedFiles(root: string): Promise<ConversionManifestFile[]> {
  const files: ConversionManifestFile[] = [];
  const walk = async (directory: string, relative: string): Promise<void> => {
    for (const entry of await readdir(directory, { withFileTypes: true })) {
      const relativePath = relative === '' ? entry.name : `${relative}/${entry.name}`;
      const absolutePath = path.join(directory, entry.name);
      if (entry.isSymbolicLink()) {
        throw new RegistryError('UNSAFE_PATH', `The staged file "${relativePath}" is a symlink; write regular files into the staging directory.`, { details: { path: relativePath } });
      }
      if (entry.isDirectory()) await walk(absolutePath, relativePath);
      else if (entry.isFile()) {
        if (relativePath === manifestFileName || relativePath === `${manifestFileName}.incomplete`) {
          throw new RegistryError('REGISTRY_ERROR', `"${manifestFileName}" is reserved for the cache manifest; write the conversion's own files under another name.`);
        }
        const { sha256, size } = await computeFileSha256(absolutePath);
        files.push({ path: relativePath, size, sha256 });
      }
    }
  };
  await walk(root, '');
  if (files.length === 0) throw new RegistryError('REGISTRY_ERROR', `Nothing was written to the staging directory ${root}; write the converted files there before commit().`);
  return files.sort((left, right) => (left.path < right.path ? -1 : left.path > right.path ? 1 : 0));
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((item) => typeof item === 'string');
}
