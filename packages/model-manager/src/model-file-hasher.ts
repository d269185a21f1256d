import { createHash } from 'node:crypto';
import { computeFileSha256Iter, throwIfCancelled } from './compute-file-sha256';
import type { ModelFile, PullProgressEvent } from './model-manager';
import { RegistryError } from './registry-error';
import type { WalkedFile } from './walk-model-directory';

/**
 * Hashes model files with progress events, remembering each file's digest by device, inode, size
 * and mtime so that a second pull of an unchanged directory reads nothing.
 */
export class ModelFileHasher {
  private readonly memo = new Map<string, { stamp: string; sha256: string }>();

  /** Yields `file-start`, `bytes-progress` and `file-end` per file; returns the files with their sha256. */
  async *hashFilesIter(files: readonly WalkedFile[], signal: AbortSignal | undefined): AsyncGenerator<PullProgressEvent, ModelFile[], void> {
    const overallTotalBytes = files.reduce((total, file) => total + file.size, 0);
    let overallDone = 0;
    const result: ModelFile[] = [];
    for (const file of files) {
      throwIfCancelled(signal);
      yield { type: 'file-start', path: file.path, totalBytes: file.size };
      const stamp = `${file.dev}:${file.ino}:${file.size}:${file.mtimeMs}`;
      const known = this.memo.get(file.absolutePath);
      let sha256: string;
      if (known?.stamp === stamp) {
        sha256 = known.sha256;
        overallDone += file.size;
        yield { type: 'bytes-progress', path: file.path, transferredBytes: file.size, totalBytes: file.size, overallTransferredBytes: overallDone, overallTotalBytes };
      } else {
        const iterator = computeFileSha256Iter(file.absolutePath, signal);
        const before = overallDone;
        for (;;) {
          const step = await iterator.next();
          if (step.done) {
            sha256 = step.value.sha256;
            if (step.value.size !== file.size) {
              throw new RegistryError('REGISTRY_ERROR', `The file ${file.absolutePath} changed while it was being hashed; run the command again once it is no longer written to.`, {
                details: { path: file.path },
              });
            }
            break;
          }
          overallDone = before + step.value;
          yield { type: 'bytes-progress', path: file.path, transferredBytes: step.value, totalBytes: file.size, overallTransferredBytes: overallDone, overallTotalBytes };
        }
        this.memo.set(file.absolutePath, { stamp, sha256 });
      }
      yield { type: 'file-end', path: file.path, cached: true };
      result.push({ path: file.path, size: file.size, sha256 });
    }
    return result;
  }

}

/** 16 hex digits of sha256 over the sorted `path`, `size` and `sha256` of every file. */
export function contentRevision(files: readonly ModelFile[]): string {
  const hash = createHash('sha256');
  for (const file of [...files].sort((left, right) => (left.path < right.path ? -1 : left.path > right.path ? 1 : 0))) {
    hash.update(`${file.path}\0${file.size}\0${file.sha256 ?? ''}\n`);
  }
  return hash.digest('hex').slice(0, 16);
}

