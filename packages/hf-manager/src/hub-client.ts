import { RegistryError } from '@gpux/model-manager';
import type { HubRequestContext } from './map-hub-error';
import { cancelledError, isRetryableStatus, mapHubResponseError, mapTransportError } from './map-hub-error';
import { retryDelay, sleep } from './retry-delay';

/** Connection settings shared by every request of a manager. */
export interface HubClientSettings {
  endpoint: string;
  fetch: typeof fetch;
  /** Idle timeout per request: no bytes for this long fails the attempt. */
  timeoutMs: number;
  maxRetries: number;
  retryBaseDelayMs: number;
  /** Returns the token; a function so it is never an enumerable property of any object. */
  token: () => string | undefined;
}

/** Called before a retry: which attempt failed, how long we wait, and why. */
export type RetryListener = (attempt: number, delayMs: number, error: RegistryError) => void;

/** Request headers with the Authorization header added when a token is known. */
export function hubHeaders(settings: HubClientSettings, extra: Record<string, string> = {}): Record<string, string> {
  const token = settings.token();
  return token === undefined ? { ...extra } : { ...extra, Authorization: `Bearer ${token}` };
}

function urlOf(input: Parameters<typeof fetch>[0]): string {
  if (typeof input === 'string') return input;
  return input instanceof URL ? input.href : input.url;
}

/**
 * A `fetch` for `@huggingface/hub`'s JSON calls: adds the token, applies the timeout and `signal`,
 * retries 408/429/5xx and transport failures with backoff, buffers the (small) body, and throws a
 * mapped {@link RegistryError} for every failed answer, so the library only ever sees successes.
 */
export function createApiFetch(settings: HubClientSettings, context: HubRequestContext, signal: AbortSignal | undefined, onRetry: RetryListener): typeof fetch {
  return async (input, init) => {
    const url = urlOf(input);
    const extra: Record<string, string> = {};
    new Headers(init?.headers).forEach((value, key) => {
      if (key !== 'authorization') extra[key] = value;
    });
    for (let attempt = 0; ; attempt += 1) {
      if (signal?.aborted === true) throw cancelledError(context, signal.reason);
      const timeout = new AbortController();
      const timer = setTimeout(() => timeout.abort(), settings.timeoutMs);
      const combined = signal === undefined ? timeout.signal : AbortSignal.any([signal, timeout.signal]);
      let failure: RegistryError;
      try {
        const response = await settings.fetch(url, { ...init, headers: hubHeaders(settings, extra), signal: combined });
        const body = await response.arrayBuffer();
        if (response.ok) return new Response(body, { status: response.status, headers: response.headers });
        failure = mapHubResponseError(response.status, response.headers, url, context, Buffer.from(body).toString('utf8'));
        if (!isRetryableStatus(response.status)) throw failure;
      } catch (error) {
        if (RegistryError.isInstance(error)) throw error;
        failure = mapTransportError(error, context, url, signal, timeout.signal.aborted ? settings.timeoutMs : undefined);
        if (failure.code === 'CANCELLED') throw failure;
      } finally {
        clearTimeout(timer);
      }
      if (attempt >= settings.maxRetries) throw failure;
      const delayMs = retryDelay(attempt, settings.retryBaseDelayMs);
      onRetry(attempt + 1, delayMs, failure);
      try {
        await sleep(delayMs, signal);
      } catch (error) {
        throw cancelledError(context, error);
      }
    }
  };
}

/** URL of a repo file at a revision: `{endpoint}/{repo}/resolve/{revision}/{path}`, segments encoded. */
export function resolveFileUrl(endpoint: string, repoId: string, revision: string, repoPath: string): string {
  return `${endpoint}/${repoId}/resolve/${encodeURIComponent(revision)}/${repoPath.split('/').map(encodeURIComponent).join('/')}`;
}
