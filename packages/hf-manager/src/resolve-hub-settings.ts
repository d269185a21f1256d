import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The public Hugging Face hub. */
export const defaultHubEndpoint = 'https://huggingface.co';

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== '' ? value.trim() : undefined;
}

/**
 * `HF_HOME` as Python's huggingface_hub computes it: `$HF_HOME`, else `$XDG_CACHE_HOME/huggingface`,
 * else `~/.cache/huggingface`.
 */
export function resolveHuggingFaceHome(environment: NodeJS.ProcessEnv = process.env): string {
  const home = nonEmpty(environment.HF_HOME);
  if (home !== undefined) return path.resolve(home);
  return path.resolve(nonEmpty(environment.XDG_CACHE_HOME) ?? path.join(os.homedir(), '.cache'), 'huggingface');
}

/**
 * The hub endpoint: `override`, else `HF_ENDPOINT`, else `https://huggingface.co`. No trailing slash.
 *
 * @example
 * ```ts
 * resolveHubEndpoint(undefined, { HF_ENDPOINT: 'http://127.0.0.1:8080/' }); // 'http://127.0.0.1:8080'
 * ```
 */
export function resolveHubEndpoint(override?: string, environment: NodeJS.ProcessEnv = process.env): string {
  const chosen = nonEmpty(override) ?? nonEmpty(environment.HF_ENDPOINT) ?? defaultHubEndpoint;
  return chosen.replace(/\/+$/, '');
}

/**
 * The access token: `override`, else `HF_TOKEN`, else the token file the Python tooling writes
 * (`$HF_TOKEN_PATH`, else `$HF_HOME/token`). Undefined when there is none.
 */
export function resolveHubToken(override?: string, environment: NodeJS.ProcessEnv = process.env): string | undefined {
  const direct = nonEmpty(override) ?? nonEmpty(environment.HF_TOKEN);
  if (direct !== undefined) return direct;
  const tokenPath = nonEmpty(environment.HF_TOKEN_PATH) ?? path.join(resolveHuggingFaceHome(environment), 'token');
  try {
    return nonEmpty(readFileSync(tokenPath, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * The hub cache directory, as Python's huggingface_hub picks it: `override`, else `HF_HUB_CACHE`,
 * else `HUGGINGFACE_HUB_CACHE`, else `$HF_HOME/hub`. Always absolute.
 */
export function resolveHubCacheDirectory(override?: string, environment: NodeJS.ProcessEnv = process.env): string {
  const chosen = nonEmpty(override) ?? nonEmpty(environment.HF_HUB_CACHE) ?? nonEmpty(environment.HUGGINGFACE_HUB_CACHE);
  return chosen !== undefined ? path.resolve(chosen) : path.join(resolveHuggingFaceHome(environment), 'hub');
}

/** Offline mode: `override` when given, else `HF_HUB_OFFLINE` set to 1/true/yes/on. */
export function resolveHubOffline(override?: boolean, environment: NodeJS.ProcessEnv = process.env): boolean {
  if (override !== undefined) return override;
  return ['1', 'true', 'yes', 'on'].includes((environment.HF_HUB_OFFLINE ?? '').trim().toLowerCase());
}
