import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { listModels } from '@huggingface/hub';
import { detectWeightFormats, inferTaskFromArchitectures, parseModelId, RegistryError } from '@gpux/model-manager';
import type {
  ModelFile,
  ModelInfoOptions,
  ModelManager,
  ModelMetadata,
  ModelSearchResult,
  ModelSnapshot,
  PullModelOptions,
  PullProgressEvent,
  SearchModelsOptions,
} from '@gpux/model-manager';
import { configRequiresRemoteCode, fetchHubConfig, fetchHubRepoInfo, fetchHubTree } from './hub-api-calls';
import type { HubRepoInfo } from './hub-api-calls';
import type { HubClientSettings } from './hub-client';
import { createApiFetch } from './hub-client';
import { pullHubSnapshot } from './pull-hub-snapshot';
import { readCachedSnapshot } from './read-cached-snapshot';
import { resolveHubCacheDirectory, resolveHubEndpoint, resolveHubOffline, resolveHubToken } from './resolve-hub-settings';

/** Options of {@link HuggingFaceManager}. */
export interface HuggingFaceManagerOptions {
  /** Hub base URL. @default process.env.HF_ENDPOINT ?? "https://huggingface.co" */
  hubUrl?: string;
  /** Access token (`hf_...`). @default HF_TOKEN, else the token file of the Python tooling ($HF_TOKEN_PATH or $HF_HOME/token) */
  accessToken?: string;
  /** Hub cache directory (Python huggingface_hub layout). @default HF_HUB_CACHE, HUGGINGFACE_HUB_CACHE, $HF_HOME/hub, ~/.cache/huggingface/hub */
  cacheDirectory?: string;
  /** Serve only from the cache. @default HF_HUB_OFFLINE is 1/true/yes/on */
  offline?: boolean;
  /** `fetch` implementation (a proxy, extra headers). @default globalThis.fetch */
  fetch?: typeof fetch;
  /** A request fails when no byte arrives for this long (then it is retried). @default 30000 */
  timeoutMs?: number;
  /** Retries of 408/429/5xx answers and transport failures, per request. @default 5 */
  maxRetries?: number;
  /** First retry delay; doubles each retry (with jitter), capped at 30 s. @default 500 */
  retryBaseDelayMs?: number;
  /** Allow models whose config.json asks for custom code (`auto_map`). @default false */
  trustRemoteCode?: boolean;
  /** Environment to read HF_* variables from. @default process.env */
  environment?: NodeJS.ProcessEnv;
}

function positive(value: number | undefined, name: string, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) throw new RangeError(`"${name}" must be a ${allowZero ? 'non-negative' : 'positive'} number, received ${String(value)}`);
  return value;
}

/**
 * A {@link ModelManager} for the Hugging Face hub. Pulls go into the standard hub cache in the same
 * layout as Python's huggingface_hub (`models--org--name/{blobs,snapshots/<sha>,refs}`), so either
 * tool reads what the other wrote. Downloads resume, retry with backoff, and are verified (sha256
 * for LFS files, git blob id for the others) before they enter the cache; a per-blob lock makes
 * concurrent pulls of one model end with one good copy.
 *
 * @example
 * ```ts
 * const manager = new HuggingFaceManager();
 * const snapshot = await manager.pullModel('hf-internal-testing/tiny-random-bert', {
 *   include: ['*.json', '*.safetensors'],
 *   onProgress: (event) => { if (event.type === 'bytes-progress') console.log(event.overallTransferredBytes, '/', event.overallTotalBytes); },
 * });
 * console.log(snapshot.directory, snapshot.revision);
 * ```
 */
export class HuggingFaceManager implements ModelManager {
  readonly kind = 'huggingface';
  /** The hub cache directory in use. */
  readonly cacheDirectory: string;
  /** The hub endpoint in use. */
  readonly hubUrl: string;
  /** True when only the cache is used. */
  readonly offline: boolean;
  readonly #settings: HubClientSettings;
  readonly #trustRemoteCode: boolean;

  constructor(options: HuggingFaceManagerOptions = {}) {
    const environment = options.environment ?? process.env;
    this.hubUrl = resolveHubEndpoint(options.hubUrl, environment);
    this.cacheDirectory = resolveHubCacheDirectory(options.cacheDirectory, environment);
    this.offline = resolveHubOffline(options.offline, environment);
    this.#trustRemoteCode = options.trustRemoteCode ?? false;
    const token = resolveHubToken(options.accessToken, environment);
    this.#settings = {
      endpoint: this.hubUrl,
      fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
      timeoutMs: positive(options.timeoutMs, 'timeoutMs', 30_000),
      maxRetries: positive(options.maxRetries, 'maxRetries', 5, true),
      retryBaseDelayMs: positive(options.retryBaseDelayMs, 'retryBaseDelayMs', 500, true),
      token: () => token,
    };
  }

  /** True for hub ids: `org/name`, `name`, `hf:org/name`, each with an optional `@revision`. */
  canHandle(id: string): boolean {
    try {
      return parseModelId(id, { pathExists: () => false }).registry === 'huggingface';
    } catch {
      return false;
    }
  }

  #parse(id: string, revision: string | undefined): { repoId: string; revision: string } {
    const parsed = parseModelId(id, { pathExists: () => false });
    if (parsed.registry !== 'huggingface') throw new TypeError(`"id" must name a hub repository such as "org/name", received ${JSON.stringify(id)}`);
    return { repoId: parsed.id, revision: revision ?? parsed.revision ?? 'main' };
  }

  /**
   * Downloads (or finds in the cache) a snapshot, yielding progress events.
   *
   * @throws ModelNotFoundError, RevisionNotFoundError, AuthenticationError (401/403/gated),
   * NetworkError (after retries), IntegrityError (bad bytes; nothing is cached), RegistryError with
   * code UNSAFE_PATH, TRUST_REMOTE_CODE_REQUIRED, OFFLINE_CACHE_MISS, ENTRY_NOT_FOUND or CANCELLED.
   * An interrupted download leaves `blobs/<etag>.incomplete`, which the next pull resumes.
   */
  async *pullModelIter(id: string, options: Omit<PullModelOptions, 'onProgress'> = {}): AsyncGenerator<PullProgressEvent, ModelSnapshot, void> {
    const { repoId, revision } = this.#parse(id, options.revision);
    if (this.offline) return yield* readCachedSnapshot(this.cacheDirectory, repoId, revision, options.include, options.exclude);
    return yield* pullHubSnapshot({ settings: this.#settings, cacheDirectory: this.cacheDirectory, trustRemoteCode: this.#trustRemoteCode, repoId, revision, options });
  }

  /** Awaitable {@link HuggingFaceManager.pullModelIter}; events go to `onProgress`. */
  async pullModel(id: string, options: PullModelOptions = {}): Promise<ModelSnapshot> {
    const { onProgress, ...rest } = options;
    const iterator = this.pullModelIter(id, rest);
    for (;;) {
      const next = await iterator.next();
      if (next.done === true) return next.value;
      onProgress?.(next.value);
    }
  }

  /**
   * Metadata without downloading weights: the hub's model info, the file tree and config.json
   * (model_type, architectures, auto_map). Offline, it is read from the cached snapshot.
   */
  async getModelInfo(id: string, options: ModelInfoOptions = {}): Promise<ModelMetadata> {
    const { repoId, revision } = this.#parse(id, options.revision);
    if (this.offline) return this.#cachedInfo(repoId, revision);
    const context = { repoId, revision, endpoint: this.hubUrl };
    const info = await fetchHubRepoInfo(this.#settings, context, options.signal, () => undefined);
    const tree = await fetchHubTree(this.#settings, context, info.sha, options.signal, () => undefined);
    let config = info.config;
    if (tree.some((entry) => entry.path === 'config.json')) {
      try {
        config = (await fetchHubConfig(this.#settings, context, info.sha, options.signal, () => undefined)) ?? config;
      } catch (error) {
        // Gated repos answer 401/403 for files: fall back to the hub's config summary.
        if (!(RegistryError.isInstance(error) && error.code === 'AUTHENTICATION_FAILED')) throw error;
      }
    }
    return buildMetadata(repoId, info, tree.map((entry) => entry.path), tree.reduce((sum, entry) => sum + entry.size, 0), config);
  }

  async #cachedInfo(repoId: string, revision: string): Promise<ModelMetadata> {
    const iterator = readCachedSnapshot(this.cacheDirectory, repoId, revision);
    let next = await iterator.next();
    while (next.done !== true) next = await iterator.next();
    const snapshot = next.value;
    let config: Record<string, unknown> | undefined;
    try {
      config = JSON.parse(await readFile(path.join(snapshot.directory, 'config.json'), 'utf8')) as Record<string, unknown>;
    } catch {
      config = undefined;
    }
    const info: HubRepoInfo = { sha: snapshot.revision, tags: [], gated: false, private: false };
    return buildMetadata(repoId, info, snapshot.files.map((file) => file.path), snapshot.files.reduce((sum, file) => sum + file.size, 0), config);
  }

  /**
   * Searches the hub (`GET /api/models?search=`).
   *
   * @throws RegistryError OFFLINE_CACHE_MISS in offline mode.
   */
  async searchModels(query: string, options: SearchModelsOptions = {}): Promise<ModelSearchResult[]> {
    if (typeof query !== 'string') throw new TypeError(`"query" must be a string, received ${String(query)}`);
    const limit = positive(options.limit, 'limit', 20);
    if (this.offline) throw new RegistryError('OFFLINE_CACHE_MISS', 'Searching needs the hub, but offline mode (HF_HUB_OFFLINE=1 or the `offline` option) is on. Unset HF_HUB_OFFLINE to search.', { details: { query } });
    const results: ModelSearchResult[] = [];
    const hits = listModels({
      search: { query, task: options.task as never },
      limit,
      hubUrl: this.hubUrl,
      fetch: createApiFetch(this.#settings, { endpoint: this.hubUrl }, options.signal, () => undefined),
    });
    for await (const hit of hits) {
      results.push({ id: hit.name, task: hit.task, downloads: hit.downloads, likes: hit.likes, updatedAt: Number.isNaN(hit.updatedAt.getTime()) ? undefined : hit.updatedAt });
    }
    return results;
  }

  /** Files of the model at a revision, with sizes, LFS sha256 and git blob ids; offline, the cached snapshot's. */
  async listModelFiles(id: string, options: ModelInfoOptions = {}): Promise<ModelFile[]> {
    const { repoId, revision } = this.#parse(id, options.revision);
    if (this.offline) {
      const iterator = readCachedSnapshot(this.cacheDirectory, repoId, revision);
      let next = await iterator.next();
      while (next.done !== true) next = await iterator.next();
      return next.value.files;
    }
    const context = { repoId, revision, endpoint: this.hubUrl };
    const info = await fetchHubRepoInfo(this.#settings, context, options.signal, () => undefined);
    const tree = await fetchHubTree(this.#settings, context, info.sha, options.signal, () => undefined);
    return tree.map((entry) => (entry.lfsSha256 === undefined ? { path: entry.path, size: entry.size, blobId: entry.gitOid } : { path: entry.path, size: entry.size, sha256: entry.lfsSha256, blobId: entry.gitOid }));
  }
}

function buildMetadata(repoId: string, info: HubRepoInfo, paths: string[], totalSize: number, config: Record<string, unknown> | undefined): ModelMetadata {
  const architectures = Array.isArray(config?.architectures) ? config.architectures.filter((value): value is string => typeof value === 'string') : [];
  const modelType = typeof config?.model_type === 'string' ? config.model_type : undefined;
  const inferred = info.pipelineTag === undefined ? inferTaskFromArchitectures(architectures, modelType) : undefined;
  return {
    id: repoId,
    revision: info.sha,
    modelType,
    architectures,
    task: info.pipelineTag ?? inferred,
    taskSource: info.pipelineTag !== undefined ? 'pipeline-tag' : inferred !== undefined ? 'architectures' : 'none',
    weightFormats: detectWeightFormats(paths),
    totalSize,
    license: info.license,
    gated: info.gated,
    private: info.private,
    requiresRemoteCode: configRequiresRemoteCode(config),
    libraryName: info.libraryName,
    tags: info.tags,
  };
}
