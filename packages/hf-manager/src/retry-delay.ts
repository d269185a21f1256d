/**
 * Exponential backoff with jitter: `baseDelayMs * 2^attempt`, capped at `maxDelayMs`, scaled by a
 * random factor in [0.5, 1).
 */
export function retryDelay(attempt: number, baseDelayMs: number, maxDelayMs = 30_000): number {
  const exponential = Math.min(maxDelayMs, baseDelayMs * 2 ** attempt);
  return Math.round(exponential * (0.5 + Math.random() * 0.5));
}

/** Waits `ms`, rejecting with the signal's reason as soon as it aborts. Removes its listener. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
