import { mkdir } from 'node:fs/promises';
import path from 'node:path';

import lockfile from 'proper-lockfile';

import { ConversionError } from '../conversion-error';
import type { ProgressEvent } from '../progress-event';

/** A held lock; `release` is safe to call once. */
export interface HeldLock {
  release(): Promise<void>;
}

const RETRY_DELAY_MS = 500;

/**
 * Takes the lock at `lockPath` (a directory created atomically by proper-lockfile, refreshed while
 * held, and taken over when its holder stopped refreshing it for 30 s, e.g. after a crash). While
 * another process holds it, waits, yielding one message event.
 *
 * @throws ConversionError `CANCELLED` when `signal` aborts while waiting.
 */
export async function* acquireEnvironmentLock(
  lockPath: string,
  waitingMessage: string,
  signal?: AbortSignal,
): AsyncGenerator<ProgressEvent, HeldLock, void> {
  await mkdir(path.dirname(lockPath), { recursive: true });
  let announced = false;
  for (;;) {
    throwIfAborted(signal, lockPath);
    try {
      const release = await lockfile.lock(lockPath, {
        lockfilePath: lockPath,
        realpath: false,
        stale: 30_000,
        update: 10_000,
        retries: 0,
        // The default throws from a timer; a lost lock only means another process may rebuild too.
        onCompromised: () => undefined,
      });
      let released = false;
      return {
        release: async () => {
          if (released) return;
          released = true;
          await release().catch(() => undefined);
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
    }
    if (!announced) {
      announced = true;
      yield { type: 'message', phase: 'setup', level: 'info', message: waitingMessage };
    }
    await delay(RETRY_DELAY_MS, signal);
  }
}

function throwIfAborted(signal: AbortSignal | undefined, lockPath: string): void {
  if (signal?.aborted === true) {
    throw new ConversionError('CANCELLED', 'Waiting for the Python environment was cancelled.', { details: { lockPath } });
  }
}

function delay(milliseconds: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, milliseconds);
    signal?.addEventListener('abort', done, { once: true });
  });
}
