import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { RegistryError } from '@gpux/model-manager';

/** Folders of one repository in the hub cache (Python huggingface_hub layout). */
export interface HubRepoCachePaths {
  /** `<cache>/models--org--name` */
  storage: string;
  blobs: string;
  snapshots: string;
  refs: string;
  /** Python writes its tree listings here (`trees/<sha>.json`); so do we. */
  trees: string;
  /** `<cache>/.locks/models--org--name` */
  locks: string;
}

/** Paths of `repoId` inside the cache directory `cacheDirectory`. */
export function hubRepoCachePaths(cacheDirectory: string, repoId: string): HubRepoCachePaths {
  const folder = `models--${repoId.split('/').join('--')}`;
  const storage = path.join(cacheDirectory, folder);
  return {
    storage,
    blobs: path.join(storage, 'blobs'),
    snapshots: path.join(storage, 'snapshots'),
    refs: path.join(storage, 'refs'),
    trees: path.join(storage, 'trees'),
    locks: path.join(cacheDirectory, '.locks', folder),
  };
}

const commitSha = /^[0-9a-f]{40}$/;
const blobName = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/** True for a full git commit sha. */
export function isCommitSha(value: string): boolean {
  return commitSha.test(value);
}

function unsafe(what: string, value: string, details: Record<string, unknown>): never {
  throw new RegistryError('UNSAFE_PATH', `Refusing ${what} ${JSON.stringify(value)}: it is absolute, contains "..", "." or empty segments, backslashes or NUL, or would escape the cache. The repository may be malicious; do not download it.`, { details: { ...details, value } });
}

/**
 * The absolute path of repo file `repoPath` inside `snapshotDirectory`.
 *
 * @throws RegistryError `UNSAFE_PATH` when the name is absolute, has `..`/`.`/empty segments,
 * backslashes or NUL, or resolves outside the snapshot directory.
 */
export function resolveSnapshotFilePath(snapshotDirectory: string, repoPath: string, details: Record<string, unknown> = {}): string {
  const segments = repoPath.split('/');
  if (repoPath === '' || repoPath.includes('\\') || repoPath.includes('\0') || /^[A-Za-z]:/.test(repoPath) || segments.some((segment) => segment === '' || segment === '.' || segment === '..')) {
    unsafe('the repository file name', repoPath, details);
  }
  const root = path.resolve(snapshotDirectory);
  const full = path.resolve(root, ...segments);
  if (!full.startsWith(root + path.sep)) unsafe('the repository file name', repoPath, details);
  return full;
}

/** Checks that a server-given blob id or commit sha is safe to use as a file name. */
export function assertSafeCacheName(kind: 'blob' | 'commit', value: string, details: Record<string, unknown> = {}): void {
  if (!(kind === 'blob' ? blobName : commitSha).test(value)) unsafe(`the ${kind} id`, value, details);
}

/** Checks a revision name before it becomes `refs/<revision>`. */
export function assertSafeRevision(revision: string): void {
  if (revision.split('/').some((segment) => segment === '' || segment === '.' || segment === '..') || revision.includes('\\') || revision.includes('\0')) {
    unsafe('the revision', revision, {});
  }
}

/** The commit sha that `refs/<revision>` records, if any. */
export async function readCachedRef(paths: HubRepoCachePaths, revision: string): Promise<string | undefined> {
  assertSafeRevision(revision);
  try {
    const sha = (await readFile(path.join(paths.refs, ...revision.split('/')), 'utf8')).trim();
    return isCommitSha(sha) ? sha : undefined;
  } catch {
    return undefined;
  }
}

/** Writes `content` to `file` atomically (temp file in the same folder, then rename). */
export async function writeFileAtomic(file: string, content: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, content);
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** Records `refs/<revision>` -> `sha` (no newline, as Python writes it). */
export async function writeCachedRef(paths: HubRepoCachePaths, revision: string, sha: string): Promise<void> {
  assertSafeRevision(revision);
  if ((await readCachedRef(paths, revision)) === sha) return;
  await writeFileAtomic(path.join(paths.refs, ...revision.split('/')), sha);
}

/** Points `pointerPath` at `blobPath` with a relative symlink, replacing any other link atomically. */
export async function linkSnapshotFile(pointerPath: string, blobPath: string): Promise<void> {
  await mkdir(path.dirname(pointerPath), { recursive: true });
  const target = path.relative(path.dirname(pointerPath), blobPath);
  try {
    if ((await readlink(pointerPath)) === target) return;
  } catch {
    // absent or not a link: (re)create below
  }
  const temporary = `${pointerPath}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await symlink(target, temporary);
  try {
    await rename(temporary, pointerPath);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
