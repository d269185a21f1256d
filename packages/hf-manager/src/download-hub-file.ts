import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat, truncate } from 'node:fs/promises';
import path from 'node:path';
import { IntegrityError, RegistryError } from '@gpux/model-manager';
import type { PullProgressEvent } from '@gpux/model-manager';
import { acquireBlobLock } from './acquire-blob-lock';
import type { HubClientSettings } from './hub-client';
import { hubHeaders } from './hub-client';
import { hashFile } from './hash-file';
import type { HubRequestContext } from './map-hub-error';
import { cancelledError, mapHubResponseError, mapTransportError } from './map-hub-error';
import { retryDelay, sleep } from './retry-delay';

/** A repo file to materialise as a blob, with the metadata the tree listing gave. */
export interface HubFileEntry {
  path: string;
  size: number;
  /** Git blob id (of the LFS pointer, for LFS files). */
  gitOid: string;
  /** sha256 of the content, for LFS files. */
  lfsSha256?: string;
}

/** Where the blob lives and its verified hash. */
export interface HubBlobResult {
  blobPath: string;
  sha256: string;
  cached: boolean;
}

/** Inputs of {@link ensureHubBlob}. */
export interface EnsureHubBlobParams {
  file: HubFileEntry;
  url: string;
  blobsDirectory: string;
  locksDirectory: string;
  settings: HubClientSettings;
  context: HubRequestContext;
  signal?: AbortSignal;
  /** Bytes of the pull finished before this file, and the pull's total. */
  overallDoneBytes: number;
  overallTotalBytes: number;
}

const progressStepBytes = 256 * 1024;

/** The blob name Python's huggingface_hub uses: the sha256 for LFS files, else the git blob id. */
export function blobNameOf(file: HubFileEntry): string {
  return file.lfsSha256 ?? file.gitOid;
}

async function verifyBlob(file: string, entry: HubFileEntry): Promise<{ ok: true; sha256: string } | { ok: false; reason: string }> {
  const digest = await hashFile(file);
  if (digest.size !== entry.size) return { ok: false, reason: `has ${digest.size} bytes, expected ${entry.size}` };
  if (entry.lfsSha256 !== undefined && digest.sha256 !== entry.lfsSha256) return { ok: false, reason: `has sha256 ${digest.sha256}, expected ${entry.lfsSha256}` };
  if (entry.lfsSha256 === undefined && digest.gitOid !== entry.gitOid) return { ok: false, reason: `has git blob id ${digest.gitOid}, expected ${entry.gitOid}` };
  return { ok: true, sha256: digest.sha256 };
}

async function sizeOf(file: string): Promise<number | undefined> {
  try {
    return (await stat(file)).size;
  } catch {
    return undefined;
  }
}

/**
 * Makes sure `blobs/<etag>` holds the verified content of one repo file, downloading it when
 * needed. Skips a blob that exists and verifies; otherwise takes the blob's lock, checks again, and
 * downloads to `<blob>.incomplete`, resuming with `Range` from the bytes already there. Retries
 * 408/429/5xx and transport failures with backoff (yielding `retry` events), verifies size and
 * hash, and renames into place. A bad download is deleted and raises `IntegrityError`.
 */
export async function* ensureHubBlob(params: EnsureHubBlobParams): AsyncGenerator<PullProgressEvent, HubBlobResult, void> {
  const { file, signal, context } = params;
  const blobPath = path.join(params.blobsDirectory, blobNameOf(file));
  const progress = (onDisk: number): PullProgressEvent => ({
    type: 'bytes-progress',
    path: file.path,
    transferredBytes: onDisk,
    totalBytes: file.size,
    overallTransferredBytes: params.overallDoneBytes + onDisk,
    overallTotalBytes: params.overallTotalBytes,
  });

  const cachedBlob = async (): Promise<HubBlobResult | undefined> => {
    if ((await sizeOf(blobPath)) === undefined) return undefined;
    const verdict = await verifyBlob(blobPath, file);
    if (verdict.ok) return { blobPath, sha256: verdict.sha256, cached: true };
    await rm(blobPath, { force: true });
    return undefined;
  };

  const early = await cachedBlob();
  if (early !== undefined) {
    yield progress(file.size);
    return early;
  }

  let release: () => Promise<void>;
  try {
    release = await acquireBlobLock(path.join(params.locksDirectory, `${blobNameOf(file)}.gpux.lock`), signal);
  } catch (error) {
    throw signal?.aborted === true ? cancelledError(context, error) : error;
  }
  try {
    const again = await cachedBlob();
    if (again !== undefined) {
      yield progress(file.size);
      return again;
    }
    const incomplete = `${blobPath}.incomplete`;
    for (let attempt = 0; ; attempt += 1) {
      try {
        yield* downloadRange(params, incomplete, progress);
        break;
      } catch (error) {
        const failure = RegistryError.isInstance(error) ? error : mapTransportError(error, context, params.url, signal);
        if (failure.code === 'INTEGRITY_ERROR') await rm(incomplete, { force: true });
        const retryable = failure.code === 'NETWORK_ERROR' && (failure as { retryable?: boolean }).retryable === true;
        if (!retryable || attempt >= params.settings.maxRetries) throw failure;
        const delayMs = retryDelay(attempt, params.settings.retryBaseDelayMs);
        yield { type: 'retry', path: file.path, attempt: attempt + 1, delayMs, reason: failure.message };
        try {
          await sleep(delayMs, signal);
        } catch (abortReason) {
          throw cancelledError(context, abortReason);
        }
      }
    }
    const verdict = await verifyBlob(incomplete, file);
    if (!verdict.ok) {
      await rm(incomplete, { force: true });
      throw new IntegrityError(`Downloaded ${file.path} of ${context.repoId ?? 'the model'} ${verdict.reason}; the bad copy was deleted and nothing was cached. Try again; if it persists the hub or a proxy is serving wrong data.`, {
        details: { repoId: context.repoId, revision: context.revision, path: file.path, url: params.url },
      });
    }
    await rename(incomplete, blobPath);
    return { blobPath, sha256: verdict.sha256, cached: false };
  } finally {
    await release();
  }
}

/** One download attempt: continues `incomplete` from its current size up to the file's size. */
async function* downloadRange(params: EnsureHubBlobParams, incomplete: string, progress: (onDisk: number) => PullProgressEvent): AsyncGenerator<PullProgressEvent, void, void> {
  const { file, signal, context, settings } = params;
  let offset = (await sizeOf(incomplete)) ?? 0;
  if (offset > file.size) {
    await truncate(incomplete, 0);
    offset = 0;
  }
  if (offset === file.size) return;
  if (signal?.aborted === true) throw cancelledError(context, signal.reason);
  await mkdir(path.dirname(incomplete), { recursive: true });

  const idle = new AbortController();
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  const armTimer = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = true;
      idle.abort();
    }, settings.timeoutMs);
  };
  const combined = signal === undefined ? idle.signal : AbortSignal.any([signal, idle.signal]);
  const headers = hubHeaders(settings, { 'Accept-Encoding': 'identity', ...(offset > 0 ? { Range: `bytes=${offset}-` } : {}) });
  armTimer();
  const output = { stream: undefined as ReturnType<typeof createWriteStream> | undefined };
  try {
    const response = await settings.fetch(params.url, { headers, signal: combined, redirect: 'follow' });
    if (response.status === 416) {
      await truncate(incomplete, 0);
      throw mapTransportError(new Error('the hub refused the resume range (416); restarting the file'), context, params.url, signal);
    }
    if (!response.ok) {
      const text = await response.text();
      throw mapHubResponseError(response.status, response.headers, params.url, context, text);
    }
    if (response.status === 200 && offset > 0) offset = 0; // the server ignored Range: start over
    if (response.status === 206) {
      const start = /^bytes (\d+)-/.exec(response.headers.get('content-range') ?? '')?.[1];
      if (start === undefined || Number(start) !== offset) throw mapTransportError(new Error(`unexpected Content-Range ${response.headers.get('content-range') ?? '(none)'}`), context, params.url, signal);
    }
    if (response.body === null) throw mapTransportError(new Error('empty body'), context, params.url, signal);
    const stream = createWriteStream(incomplete, { flags: offset > 0 ? 'a' : 'w' });
    output.stream = stream;
    const streamError = new Promise<never>((_, reject) => stream.once('error', reject));
    streamError.catch(() => undefined);
    let onDisk = offset;
    let reported = offset;
    yield progress(onDisk);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      armTimer();
      if (onDisk + value.length > file.size) {
        await reader.cancel();
        throw new IntegrityError(`The hub sent more than the expected ${file.size} bytes for ${file.path}.`, { details: { repoId: context.repoId, path: file.path, url: params.url } });
      }
      if (!stream.write(value)) await Promise.race([new Promise<void>((resolve) => stream.once('drain', () => resolve())), streamError]);
      onDisk += value.length;
      if (onDisk - reported >= progressStepBytes || onDisk === file.size) {
        reported = onDisk;
        yield progress(onDisk);
      }
    }
    if (reported !== onDisk) yield progress(onDisk);
    output.stream = undefined;
    await new Promise<void>((resolve, reject) => {
      stream.end((error?: Error | null) => (error ? reject(error) : resolve()));
    });
  } catch (error) {
    if (RegistryError.isInstance(error)) throw error;
    throw mapTransportError(error, context, params.url, signal, timedOut ? settings.timeoutMs : undefined);
  } finally {
    clearTimeout(timer);
    const stream = output.stream;
    if (stream !== undefined) {
      await new Promise<void>((resolve) => {
        stream.end(() => resolve());
      });
    }
  }
}
