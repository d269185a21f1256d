import { ConversionError } from '@gpux/converter-core';
import { RegistryError } from '@gpux/model-manager';
import type * as Bullmq from 'bullmq';
import type { Redis } from 'ioredis';

/** The parts of bullmq and ioredis the queue mode uses, loaded on first use (Redis is optional). */
export interface QueueLibrary {
  bullmq: typeof Bullmq;
  /**
   * Opens a Redis connection for BullMQ (`maxRetriesPerRequest: null`, as BullMQ workers need) and
   * waits until it is ready. Once connected, a lost connection is retried for as long as it takes.
   *
   * @throws RegistryError `NETWORK_ERROR` when Redis cannot be reached within `timeoutMs`.
   */
  connect: (url: string, timeoutMs?: number) => Promise<Redis>;
}

/** How long a first connection to Redis may take. */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * Checks a `--queue` value: `redis://[user:password@]host[:port][/db]` or `rediss://...` (TLS).
 *
 * @throws TypeError naming the value and the form expected.
 */
export function checkRedisUrl(url: string): URL {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') || parsed.hostname === '') {
    throw new TypeError(`--queue must be a Redis URL such as redis://127.0.0.1:6379, received "${url}".`);
  }
  return parsed;
}

/** The URL without its password, for messages and reports. */
export function redactRedisUrl(url: string): string {
  const parsed = checkRedisUrl(url);
  if (parsed.password !== '') parsed.password = '***';
  return parsed.toString();
}

/**
 * Loads bullmq and ioredis.
 *
 * @throws ConversionError `RUNTIME_MISSING` saying what to install when either is missing.
 */
export async function loadQueueLibrary(): Promise<QueueLibrary> {
  try {
    const bullmq = await import('bullmq');
    const ioredis = await import('ioredis');
    const Redis = (ioredis as { default?: typeof ioredis.Redis }).default ?? ioredis.Redis;
    const connect = async (url: string, timeoutMs = CONNECT_TIMEOUT_MS): Promise<Redis> => {
      const connection = new Redis(url, { maxRetriesPerRequest: null });
      let lastError: Error | undefined;
      const onError = (error: Error) => (lastError = error);
      connection.on('error', onError);
      try {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('timed out')), timeoutMs);
          connection.once('ready', () => (clearTimeout(timer), resolve()));
        });
      } catch {
        connection.disconnect();
        throw new RegistryError(
          'NETWORK_ERROR',
          `Redis at ${redactRedisUrl(url)} could not be reached within ${String(timeoutMs / 1000)} s${lastError === undefined ? '' : ` (${lastError.message})`}. Start it (redis-server --port 6379 --bind 127.0.0.1 --save '' --daemonize yes) or fix --queue.`,
          { details: { queue: redactRedisUrl(url) }, cause: lastError },
        );
      }
      return connection;
    };
    return { bullmq, connect };
  } catch (error) {
    throw new ConversionError('RUNTIME_MISSING', 'The Redis queue needs the npm packages bullmq and ioredis, which could not be loaded. Install them beside @gpux/cli: npm install bullmq ioredis', { cause: error });
  }
}
