import path from 'node:path';
import { RegistryError } from '@gpux/model-manager';
import type { ModelFile, ModelSnapshot, PullModelOptions, PullProgressEvent } from '@gpux/model-manager';
import type { HubFileEntry } from './download-hub-file';
import { blobNameOf, ensureHubBlob } from './download-hub-file';
import { configRequiresRemoteCode, fetchHubConfig, fetchHubRepoInfo, fetchHubTree } from './hub-api-calls';
import type { HubClientSettings, RetryListener } from './hub-client';
import { resolveFileUrl } from './hub-client';
import { assertSafeCacheName, hubRepoCachePaths, linkSnapshotFile, resolveSnapshotFilePath, writeCachedRef, writeFileAtomic } from './hub-cache-layout';
import type { HubRepoCachePaths } from './hub-cache-layout';
import { matchRepoFiles } from './match-repo-files';

/** Inputs of {@link pullHubSnapshot}. */
export interface PullHubSnapshotParams {
  settings: HubClientSettings;
  cacheDirectory: string;
  trustRemoteCode: boolean;
  repoId: string;
  revision: string;
  options: Omit<PullModelOptions, 'onProgress' | 'revision'>;
}

/** Writes `trees/<sha>.json` in Python huggingface_hub's tree-cache format (format_version 1). */
async function writeTreeCache(paths: HubRepoCachePaths, sha: string, tree: HubFileEntry[]): Promise<void> {
  const files: Record<string, Record<string, unknown>> = {};
  for (const entry of [...tree].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    files[entry.path] = entry.lfsSha256 === undefined ? { size: entry.size, blob_id: entry.gitOid } : { size: entry.size, blob_id: entry.gitOid, lfs_sha256: entry.lfsSha256, lfs_size: entry.size };
  }
  await writeFileAtomic(path.join(paths.trees, `${sha}.json`), JSON.stringify({ format_version: 1, files }, null, 1));
}

/**
 * Online pull: resolves the revision to a commit, lists the files, refuses unsafe names and (unless
 * trusted) custom code, then materialises each selected file as a verified blob linked from
 * `snapshots/<sha>/`, and finally records `refs/<revision>`.
 */
export async function* pullHubSnapshot(params: PullHubSnapshotParams): AsyncGenerator<PullProgressEvent, ModelSnapshot, void> {
  const { settings, repoId, revision } = params;
  const { signal, include, exclude } = params.options;
  const pending: PullProgressEvent[] = [];
  const onRetry: RetryListener = (attempt, delayMs, error) => pending.push({ type: 'retry', attempt, delayMs, reason: error.message });
  const context = { repoId, revision, endpoint: settings.endpoint };

  const info = await fetchHubRepoInfo(settings, context, signal, onRetry);
  yield* pending.splice(0);
  assertSafeCacheName('commit', info.sha, { repoId, revision });
  const sha = info.sha;
  yield { type: 'resolve', id: repoId, revision: sha };

  const tree = await fetchHubTree(settings, context, sha, signal, onRetry);
  yield* pending.splice(0);
  const paths = hubRepoCachePaths(params.cacheDirectory, repoId);
  const snapshotDirectory = path.join(paths.snapshots, sha);
  for (const entry of tree) {
    resolveSnapshotFilePath(snapshotDirectory, entry.path, { repoId, revision: sha });
    assertSafeCacheName('blob', blobNameOf(entry), { repoId, path: entry.path });
  }

  if (!params.trustRemoteCode) {
    const config = tree.some((entry) => entry.path === 'config.json') ? await fetchHubConfig(settings, context, sha, signal, onRetry) : info.config;
    yield* pending.splice(0);
    if (configRequiresRemoteCode(config) || configRequiresRemoteCode(info.config)) {
      throw new RegistryError(
        'TRUST_REMOTE_CODE_REQUIRED',
        `${repoId} needs custom code from its repository (config.json has "auto_map"), which would run on your machine. Review the code on ${settings.endpoint}/${repoId}, then opt in with \`trustRemoteCode: true\` (HuggingFaceManager option) or \`--trust-remote-code\` (gpux-convert).`,
        { details: { repoId, revision: sha } },
      );
    }
  }

  const selected = matchRepoFiles(tree, include, exclude);
  if (selected.length === 0) {
    throw new RegistryError('ENTRY_NOT_FOUND', `No file of ${repoId} at ${revision} matches include ${JSON.stringify(include ?? ['**'])} / exclude ${JSON.stringify(exclude ?? [])}. The repository has: ${tree.slice(0, 20).map((entry) => entry.path).join(', ') || '(no files)'}.`, {
      details: { repoId, revision: sha, include, exclude },
    });
  }
  await writeTreeCache(paths, sha, tree);

  const overallTotalBytes = selected.reduce((sum, entry) => sum + entry.size, 0);
  let overallDoneBytes = 0;
  const files: ModelFile[] = [];
  for (const entry of selected) {
    yield { type: 'file-start', path: entry.path, totalBytes: entry.size };
    const result = yield* ensureHubBlob({
      file: entry,
      url: resolveFileUrl(settings.endpoint, repoId, sha, entry.path),
      blobsDirectory: paths.blobs,
      locksDirectory: paths.locks,
      settings,
      context: { ...context, revision: sha, path: entry.path },
      signal,
      overallDoneBytes,
      overallTotalBytes,
    });
    await linkSnapshotFile(resolveSnapshotFilePath(snapshotDirectory, entry.path), result.blobPath);
    overallDoneBytes += entry.size;
    files.push({ path: entry.path, size: entry.size, sha256: result.sha256, blobId: entry.gitOid });
    yield { type: 'file-end', path: entry.path, cached: result.cached };
  }
  if (revision !== sha) await writeCachedRef(paths, revision, sha);
  return { id: repoId, revision: sha, directory: snapshotDirectory, files };
}
