import { listFiles, modelInfo } from '@huggingface/hub';
import type { HubFileEntry } from './download-hub-file';
import type { HubClientSettings, RetryListener } from './hub-client';
import { createApiFetch, resolveFileUrl } from './hub-client';
import type { HubRequestContext } from './map-hub-error';

/** What the hub says about a model at a revision. */
export interface HubRepoInfo {
  sha: string;
  pipelineTag?: string;
  libraryName?: string;
  tags: string[];
  gated: boolean;
  private: boolean;
  license?: string;
  /** The `config` summary the hub extracts from config.json (may lack fields). */
  config?: Record<string, unknown>;
}

/** `GET /api/models/{id}/revision/{rev}` through `@huggingface/hub`'s `modelInfo`. */
export async function fetchHubRepoInfo(settings: HubClientSettings, context: HubRequestContext & { repoId: string; revision: string }, signal: AbortSignal | undefined, onRetry: RetryListener): Promise<HubRepoInfo> {
  const info = await modelInfo({
    name: context.repoId,
    revision: context.revision,
    hubUrl: settings.endpoint,
    fetch: createApiFetch(settings, context, signal, onRetry),
    additionalFields: ['sha', 'config', 'cardData', 'library_name', 'tags'],
  });
  const license = (info.cardData as { license?: unknown } | undefined)?.license;
  return {
    sha: String(info.sha),
    pipelineTag: info.task,
    libraryName: info.library_name,
    tags: Array.isArray(info.tags) ? info.tags.map(String) : [],
    gated: info.gated !== false && info.gated !== undefined,
    private: info.private === true,
    license: typeof license === 'string' ? license : Array.isArray(license) ? license.map(String).join(', ') : undefined,
    config: typeof info.config === 'object' && info.config !== null ? (info.config as Record<string, unknown>) : undefined,
  };
}

/** Every file of the repo at commit `sha` (`GET /api/models/{id}/tree/{sha}?recursive=true`, all pages). */
export async function fetchHubTree(settings: HubClientSettings, context: HubRequestContext & { repoId: string }, sha: string, signal: AbortSignal | undefined, onRetry: RetryListener): Promise<HubFileEntry[]> {
  const entries: HubFileEntry[] = [];
  for await (const entry of listFiles({ repo: { type: 'model', name: context.repoId }, revision: sha, recursive: true, hubUrl: settings.endpoint, fetch: createApiFetch(settings, context, signal, onRetry) })) {
    if (entry.type !== 'file') continue;
    entries.push({ path: entry.path, size: entry.size, gitOid: entry.oid ?? '', lfsSha256: entry.lfs?.oid });
  }
  return entries;
}

/** config.json of the repo at `sha`, parsed; undefined when it is not a JSON object. */
export async function fetchHubConfig(settings: HubClientSettings, context: HubRequestContext & { repoId: string }, sha: string, signal: AbortSignal | undefined, onRetry: RetryListener): Promise<Record<string, unknown> | undefined> {
  const apiFetch = createApiFetch(settings, { ...context, path: 'config.json' }, signal, onRetry);
  const response = await apiFetch(resolveFileUrl(settings.endpoint, context.repoId, sha, 'config.json'));
  try {
    const parsed: unknown = JSON.parse(await response.text());
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** True when a config asks for code from the repository (`auto_map`). */
export function configRequiresRemoteCode(config: Record<string, unknown> | undefined): boolean {
  const autoMap = config?.auto_map;
  return typeof autoMap === 'object' && autoMap !== null && Object.keys(autoMap).length > 0;
}
