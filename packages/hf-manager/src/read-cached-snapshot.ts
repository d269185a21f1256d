import { readFile, readdir, readlink, stat } from 'node:fs/promises';
import path from 'node:path';
import { RegistryError } from '@gpux/model-manager';
import type { ModelFile, ModelSnapshot, PullProgressEvent } from '@gpux/model-manager';
import { hashFile } from './hash-file';
import { hubRepoCachePaths, isCommitSha, readCachedRef } from './hub-cache-layout';
import { matchRepoFiles } from './match-repo-files';

function cacheMiss(repoId: string, revision: string, what: string, details: Record<string, unknown>): RegistryError {
  return new RegistryError(
    'OFFLINE_CACHE_MISS',
    `Offline mode (HF_HUB_OFFLINE=1 or the \`offline\` option) is on and ${what}. Run the same pull once online (unset HF_HUB_OFFLINE) to fill the cache.`,
    { details: { repoId, revision, ...details } },
  );
}

async function listSnapshotPaths(directory: string, prefix = ''): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(directory, { withFileTypes: true })) {
    const repoPath = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) found.push(...(await listSnapshotPaths(path.join(directory, entry.name), repoPath)));
    else if (!entry.name.endsWith('.tmp')) found.push(repoPath);
  }
  return found;
}

async function readTreeCachePaths(file: string): Promise<string[] | undefined> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as { format_version?: unknown; files?: unknown };
    return parsed.format_version === 1 && typeof parsed.files === 'object' && parsed.files !== null ? Object.keys(parsed.files) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Serves a model from the hub cache only: `refs/<revision>` (or a commit sha) -> `snapshots/<sha>/`.
 * When Python or we recorded the tree (`trees/<sha>.json`), every selected file of the tree must be
 * present. Yields the same events as an online pull, every file `cached: true`.
 *
 * @throws RegistryError `OFFLINE_CACHE_MISS` naming the missing revision, snapshot or files.
 */
export async function* readCachedSnapshot(cacheDirectory: string, repoId: string, revision: string, include?: string[], exclude?: string[]): AsyncGenerator<PullProgressEvent, ModelSnapshot, void> {
  const paths = hubRepoCachePaths(cacheDirectory, repoId);
  const sha = isCommitSha(revision) ? revision : await readCachedRef(paths, revision);
  if (sha === undefined) {
    throw cacheMiss(repoId, revision, `revision "${revision}" of ${repoId} is not in the cache (${path.join(paths.refs, revision)} does not exist)`, { cacheDirectory });
  }
  const directory = path.join(paths.snapshots, sha);
  let present: string[];
  try {
    present = await listSnapshotPaths(directory);
  } catch {
    throw cacheMiss(repoId, revision, `snapshot ${sha} of ${repoId} (revision "${revision}") is not in the cache (${directory} does not exist)`, { cacheDirectory, sha });
  }
  const usable = new Map<string, number>();
  for (const repoPath of present) {
    try {
      usable.set(repoPath, (await stat(path.join(directory, ...repoPath.split('/')))).size);
    } catch {
      // a link whose blob is gone counts as missing
    }
  }
  const expected = (await readTreeCachePaths(path.join(paths.trees, `${sha}.json`))) ?? present;
  const wanted = matchRepoFiles(expected.map((repoPath) => ({ path: repoPath })), include, exclude).map((entry) => entry.path);
  const missing = wanted.filter((repoPath) => !usable.has(repoPath));
  if (missing.length > 0 || wanted.length === 0) {
    const list = missing.length > 0 ? `these files are missing: ${missing.slice(0, 20).join(', ')}${missing.length > 20 ? `, and ${missing.length - 20} more` : ''}` : `no cached file matches include ${JSON.stringify(include ?? ['**'])} / exclude ${JSON.stringify(exclude ?? [])}`;
    throw cacheMiss(repoId, revision, `snapshot ${sha} of ${repoId} in the cache is incomplete: ${list}`, { cacheDirectory, sha, missingFiles: missing });
  }

  yield { type: 'resolve', id: repoId, revision: sha };
  const overallTotalBytes = wanted.reduce((sum, repoPath) => sum + (usable.get(repoPath) ?? 0), 0);
  let overallDoneBytes = 0;
  const files: ModelFile[] = [];
  for (const repoPath of wanted) {
    const size = usable.get(repoPath) ?? 0;
    const absolute = path.join(directory, ...repoPath.split('/'));
    yield { type: 'file-start', path: repoPath, totalBytes: size };
    let blobName = '';
    try {
      blobName = path.basename(await readlink(absolute));
    } catch {
      // a plain file (symlinks unsupported where it was written)
    }
    const file: ModelFile = { path: repoPath, size };
    if (/^[0-9a-f]{64}$/.test(blobName)) file.sha256 = blobName;
    else {
      const digest = await hashFile(absolute);
      file.sha256 = digest.sha256;
      file.blobId = digest.gitOid;
    }
    files.push(file);
    overallDoneBytes += size;
    yield { type: 'bytes-progress', path: repoPath, transferredBytes: size, totalBytes: size, overallTransferredBytes: overallDoneBytes, overallTotalBytes };
    yield { type: 'file-end', path: repoPath, cached: true };
  }
  return { id: repoId, revision: sha, directory, files };
}
