import {
  AuthenticationError,
  ModelNotFoundError,
  NetworkError,
  RegistryError,
  RevisionNotFoundError,
} from '@gpux/model-manager';

/** What a request was about, for error messages and `details` (never holds a token). */
export interface HubRequestContext {
  repoId?: string;
  revision?: string;
  /** Repo file path, for downloads. */
  path?: string;
  /** Base URL of the hub, for "visit the model page" hints. */
  endpoint?: string;
}

const tokenHint = 'set the HF_TOKEN environment variable, pass `accessToken` to HuggingFaceManager, or log in with `hf auth login`';

/** True for statuses worth retrying: 408, 429 and 5xx. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/**
 * Turns a failed hub answer into the matching registry error. Uses `X-Error-Code` (RepoNotFound,
 * RevisionNotFound, EntryNotFound, GatedRepo) and the status. The answer's text goes into
 * `details.serverMessage`; request headers (the token) never appear.
 */
export function mapHubResponseError(status: number, headers: Headers, url: string, context: HubRequestContext, body = ''): RegistryError {
  const errorCode = headers.get('x-error-code') ?? undefined;
  let serverMessage = headers.get('x-error-message') ?? undefined;
  if (serverMessage === undefined && body !== '') {
    try {
      const parsed = JSON.parse(body) as { error?: unknown; message?: unknown };
      const message = parsed.error ?? parsed.message;
      serverMessage = (typeof message === 'string' ? message : body).slice(0, 500);
    } catch {
      serverMessage = body.slice(0, 500);
    }
  }
  const details: Record<string, unknown> = { status, url, errorCode, serverMessage, repoId: context.repoId, revision: context.revision, path: context.path };
  const repo = context.repoId ?? 'the repository';
  const page = context.endpoint !== undefined && context.repoId !== undefined ? `${context.endpoint}/${context.repoId}` : 'the model page';

  if (errorCode === 'GatedRepo') {
    return new AuthenticationError(
      `${repo} is a gated model: ${status === 401 ? 'no access token was sent' : 'your token has not been granted access'}. Accept the terms on the model page (${page}) and provide a token with access: ${tokenHint}.`,
      { details },
    );
  }
  if (errorCode === 'RevisionNotFound') {
    return new RevisionNotFoundError(`Revision "${context.revision ?? '?'}" of ${repo} does not exist. Check the branch, tag or commit name on ${page}.`, { details });
  }
  if (errorCode === 'EntryNotFound') {
    return new RegistryError('ENTRY_NOT_FOUND', `File "${context.path ?? '?'}" does not exist in ${repo} at revision ${context.revision ?? 'main'}.`, { details });
  }
  if (errorCode === 'RepoNotFound' || (status === 404 && context.path === undefined)) {
    return new ModelNotFoundError(`Model ${repo} was not found on ${context.endpoint ?? 'the hub'}. Check the id; if it is private, ${tokenHint}.`, { details });
  }
  if (status === 401) {
    return new AuthenticationError(`The hub rejected the request for ${repo} (401): the access token is missing, invalid or expired. To provide a valid token, ${tokenHint}.`, { details });
  }
  if (status === 403) {
    return new AuthenticationError(`The hub refused access to ${repo} (403): your token lacks permission for it. Check the token's scopes, or ${tokenHint}.`, { details });
  }
  if (isRetryableStatus(status)) {
    return new NetworkError(`The hub answered ${status} for ${context.path ?? repo}; try again later.`, { details, retryable: true });
  }
  return new RegistryError('REGISTRY_ERROR', `The hub answered ${status} for ${context.path ?? repo}${serverMessage === undefined ? '' : `: ${serverMessage}`}.`, { details });
}

/** The error for a cancelled operation. */
export function cancelledError(context: HubRequestContext, cause?: unknown): RegistryError {
  return new RegistryError('CANCELLED', `The operation on ${context.repoId ?? 'the hub'} was cancelled.`, { cause, details: { repoId: context.repoId, path: context.path } });
}

/**
 * Turns a transport failure (connection refused or reset, idle timeout) into a retryable
 * `NetworkError`, or a `CANCELLED` error when `signal` was aborted.
 */
export function mapTransportError(error: unknown, context: HubRequestContext, url: string, signal: AbortSignal | undefined, timeoutMs?: number): RegistryError {
  if (RegistryError.isInstance(error)) return error;
  if (signal?.aborted === true) return cancelledError(context, error);
  const reason = timeoutMs !== undefined ? `no data for ${timeoutMs} ms` : error instanceof Error ? describeCause(error) : String(error);
  return new NetworkError(`Could not reach the hub for ${context.path ?? context.repoId ?? url} (${reason}). Check your connection or HF_ENDPOINT; set HF_HUB_OFFLINE=1 to use the cache only.`, {
    cause: error,
    retryable: true,
    details: { url, repoId: context.repoId, path: context.path, timeoutMs },
  });
}

function describeCause(error: Error): string {
  const cause = (error as { cause?: unknown }).cause;
  const code = typeof cause === 'object' && cause !== null && 'code' in cause ? String(cause.code) : undefined;
  return code !== undefined ? `${error.message}: ${code}` : error.message;
}
