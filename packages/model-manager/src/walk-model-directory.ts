import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import picomatch from 'picomatch';
import { throwIfCancelled } from './compute-file-sha256';
import { RegistryError } from './registry-error';

/** A regular file found under a model directory. */
export interface WalkedFile {
  /** Path relative to the root, `/` separators. */
  path: string;
  /** Real absolute path of the content (symlinks resolved; always inside the root). */
  absolutePath: string;
  size: number;
  mtimeMs: number;
  ino: number;
  dev: number;
}

/** Options of {@link walkModelDirectory}. */
export interface WalkModelDirectoryOptions {
  include?: readonly string[];
  exclude?: readonly string[];
  signal?: AbortSignal;
}

/** Directory names never served as part of a model (version control, tool caches). */
const skippedDirectoryNames = new Set(['.git', '.cache', '.hg', '.svn']);

/**
 * Lists the regular files under `root` (sorted by path), honouring include/exclude globs.
 * Symlinks are followed only when their target stays inside `root`; one pointing outside makes the
 * walk fail with `UNSAFE_PATH`, so that a model directory can never expose other files.
 */
export async function walkModelDirectory(root: string, options: WalkModelDirectoryOptions = {}): Promise<WalkedFile[]> {
  const realRoot = await realpath(root);
  const isSelected = makeSelector(options.include, options.exclude);
  const files: WalkedFile[] = [];
  const visited = new Set<string>([realRoot]);

  const walk = async (realDirectory: string, relativeDirectory: string): Promise<void> => {
    throwIfCancelled(options.signal);
    const entries = await readdir(realDirectory, { withFileTypes: true });
    for (const entry of entries) {
      const relativePath = relativeDirectory === '' ? entry.name : `${relativeDirectory}/${entry.name}`;
      const entryPath = path.join(realDirectory, entry.name);
      let contentPath = entryPath;
      if (entry.isSymbolicLink()) {
        const isDirectoryLink = (await stat(entryPath).catch(() => undefined))?.isDirectory() ?? false;
        if (!isDirectoryLink && !isSelected(relativePath)) continue;
        contentPath = await resolveInside(realRoot, entryPath, relativePath);
      }
      const info = await lstat(contentPath);
      if (info.isDirectory()) {
        if (skippedDirectoryNames.has(entry.name) || visited.has(contentPath)) continue;
        visited.add(contentPath);
        await walk(contentPath, relativePath);
      } else if (info.isFile() && isSelected(relativePath)) {
        files.push({ path: relativePath, absolutePath: contentPath, size: info.size, mtimeMs: info.mtimeMs, ino: info.ino, dev: info.dev });
      }
    }
  };

  await walk(realRoot, '');
  return files.sort((left, right) => (left.path < right.path ? -1 : left.path > right.path ? 1 : 0));
}

/** Builds the include/exclude predicate. Patterns match dot files too. */
export function makeSelector(include: readonly string[] | undefined, exclude: readonly string[] | undefined): (relativePath: string) => boolean {
  const includeMatcher = include !== undefined && include.length > 0 ? picomatch([...include], { dot: true }) : undefined;
  const excludeMatcher = exclude !== undefined && exclude.length > 0 ? picomatch([...exclude], { dot: true }) : undefined;
  return (relativePath) => (includeMatcher?.(relativePath) ?? true) && !(excludeMatcher?.(relativePath) ?? false);
}

/** True when `candidate` is `root` or lies below it (both absolute, real paths). */
export function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return relative === '' || (relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative));
}

async function resolveInside(realRoot: string, linkPath: string, relativePath: string): Promise<string> {
  let target: string;
  try {
    target = await realpath(linkPath);
  } catch (error) {
    throw new RegistryError('UNSAFE_PATH', `The symlink "${relativePath}" in ${realRoot} is broken; remove it or point it at a file inside the model directory.`, {
      cause: error,
      details: { path: relativePath },
    });
  }
  if (!isInside(realRoot, target)) {
    throw new RegistryError(
      'UNSAFE_PATH',
      `The symlink "${relativePath}" in ${realRoot} points outside the model directory (to ${target}); copy the file into the directory instead.`,
      { details: { path: relativePath, target } },
    );
  }
  return target;
}
