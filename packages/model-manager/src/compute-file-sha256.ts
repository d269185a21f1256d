import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { RegistryError } from './registry-error';

/** Options of {@link computeFileSha256}. */
export interface ComputeFileSha256Options {
  /** Stops reading; the promise then rejects with a `RegistryError` of code `CANCELLED`. */
  signal?: AbortSignal;
  /** Called after each chunk with the number of bytes read so far. */
  onBytes?: (transferredBytes: number) => void;
}

/**
 * Streams a file through sha256, yielding the number of bytes read after each chunk; the generator's
 * return value is the digest. Used where progress must be reported while hashing.
 *
 * @throws {@link RegistryError} with code `CANCELLED` when `signal` aborts; the file system error otherwise.
 */
export async function* computeFileSha256Iter(filePath: string, signal?: AbortSignal): AsyncGenerator<number, { sha256: string; size: number }, void> {
  throwIfCancelled(signal);
  const hash = createHash('sha256');
  let size = 0;
  const stream = createReadStream(filePath, { highWaterMark: 1 << 20, ...(signal ? { signal } : {}) });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      hash.update(chunk);
      size += chunk.length;
      yield size;
    }
  } catch (error) {
    if (signal?.aborted) throw cancelledError(signal, error);
    throw error;
  } finally {
    stream.destroy();
  }
  return { sha256: hash.digest('hex'), size };
}

/**
 * Streams a file through sha256 without holding it in memory.
 *
 * @param filePath - The file to hash.
 * @returns The lowercase hex digest and the number of bytes read.
 * @throws {@link RegistryError} with code `CANCELLED` when `signal` aborts; the file system error otherwise.
 * @example
 * ```ts
 * const { sha256, size } = await computeFileSha256('/models/bert/model.safetensors');
 * ```
 */
export async function computeFileSha256(filePath: string, options: ComputeFileSha256Options = {}): Promise<{ sha256: string; size: number }> {
  const iterator = computeFileSha256Iter(filePath, options.signal);
  for (;;) {
    const step = await iterator.next();
    if (step.done) return step.value;
    options.onBytes?.(step.value);
  }
}

/** Throws the `CANCELLED` registry error when `signal` has aborted. */
export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw cancelledError(signal, signal.reason);
}

function cancelledError(signal: AbortSignal, cause: unknown): RegistryError {
  return new RegistryError('CANCELLED', 'The operation was cancelled by its AbortSignal; run it again to complete it.', {
    cause: signal.reason ?? cause,
  });
}
