import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { sleep } from './retry-delay';

/**
 * Takes the cross-process lock `lockPath` (a proper-lockfile lock directory, refreshed while held
 * and considered stale 30 s after its holder died), waiting as long as another process holds it.
 * Resolves with the release function. Rejects with the signal's reason when `signal` aborts.
 */
export async function acquireBlobLock(lockPath: string, signal?: AbortSignal): Promise<() => Promise<void>> {
  await mkdir(path.dirname(lockPath), { recursive: true });
  for (;;) {
    try {
      const release = await lockfile.lock(lockPath, {
        realpath: false,
        lockfilePath: lockPath,
        stale: 30_000,
        update: 10_000,
        retries: 0,
        // A compromised lock (clock jumps, the directory removed) must not crash the process; the
        // re-check after the lock and the hash verification still protect the blob.
        onCompromised: () => undefined,
      });
      return async () => {
        try {
          await release();
        } catch {
          // already released or compromised: nothing left to undo
        }
      };
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'ELOCKED') throw error;
      await sleep(50 + Math.random() * 150, signal);
    }
  }
}
