import { randomBytes } from 'node:crypto';
import { cp, mkdir, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { isAbandonedByOwner, ownerProcessTag } from '@gpux/model-manager';
import { ConversionError } from '../conversion-error';

/** True when `directory` exists and holds at least one entry. */
export async function isNonEmptyDirectory(directory: string): Promise<boolean> {
  const entries = await readdir(directory).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    if (error.code === 'ENOTDIR') return ['(file)'];
    throw error;
  });
  return entries.length > 0;
}

/** True when `directory` holds an earlier gpux-convert result (its `conversion-report.json`), which a new run may replace. */
export async function holdsConversionOutput(directory: string): Promise<boolean> {
  const entries = await readdir(directory).catch(() => undefined);
  return entries !== undefined && entries.includes('conversion-report.json');
}

/**
 * Throws `OUTPUT_EXISTS` when `directory` is not empty and `overwrite` is false.
 *
 * @throws ConversionError `OUTPUT_EXISTS`.
 */
export async function assertOutputAvailable(directory: string, overwrite: boolean): Promise<void> {
  if (!overwrite && (await isNonEmptyDirectory(directory))) {
    throw new ConversionError('OUTPUT_EXISTS', `The output directory ${directory} exists and is not empty. Choose another directory, remove it, or pass overwrite: true.`, {
      details: { outputDirectory: directory },
    });
  }
}

/**
 * Creates `<directory>.incomplete-<pid>-h<host>-<random>` beside the final directory, after removing
 * the `<directory>.incomplete-*` directories that killed runs left there (those whose owning process,
 * named in the directory name, no longer runs on this machine; a live run's directory is kept).
 */
export async function createBuildDirectory(directory: string): Promise<string> {
  await mkdir(path.dirname(directory), { recursive: true });
  await sweepAbandonedBuildDirectories(directory);
  const buildDirectory = `${directory}.incomplete-${ownerProcessTag()}-${randomBytes(4).toString('hex')}`;
  await mkdir(buildDirectory);
  return buildDirectory;
}

/** Removes `<directory>.incomplete-*` directories whose owning process is gone; returns their paths. */
export async function sweepAbandonedBuildDirectories(directory: string): Promise<string[]> {
  const prefix = `${path.basename(directory)}.incomplete-`;
  const swept: string[] = [];
  for (const name of await readdir(path.dirname(directory)).catch(() => [] as string[])) {
    if (!name.startsWith(prefix) || !isAbandonedByOwner(name.slice(prefix.length))) continue;
    const abandoned = path.join(path.dirname(directory), name);
    await rm(abandoned, { recursive: true, force: true });
    swept.push(abandoned);
  }
  return swept;
}

/**
 * Moves a finished build directory to its final place by rename. An existing directory is first
 * moved aside (and removed after the swap) when `overwrite` is true.
 *
 * @throws ConversionError `OUTPUT_EXISTS` when the directory was filled meanwhile and `overwrite` is false.
 */
export async function publishBuildDirectory(buildDirectory: string, directory: string, overwrite: boolean): Promise<void> {
  await assertOutputAvailable(directory, overwrite);
  let previous: string | undefined;
  if (await isNonEmptyDirectory(directory)) {
    previous = `${directory}.previous-${randomBytes(4).toString('hex')}`;
    await rename(directory, previous);
  } else {
    await rm(directory, { recursive: true, force: true });
  }
  try {
    await rename(buildDirectory, directory);
  } catch (error) {
    if (previous !== undefined) await rename(previous, directory);
    throw error;
  }
  if (previous !== undefined) await rm(previous, { recursive: true, force: true });
}

/** Copies a directory tree (used to fill a cache staging directory or restore from the cache). */
export async function copyDirectory(from: string, to: string, skip: readonly string[] = []): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const entry of await readdir(from)) {
    if (skip.includes(entry)) continue;
    await cp(path.join(from, entry), path.join(to, entry), { recursive: true, errorOnExist: true, force: false });
  }
}
