import os from 'node:os';
import path from 'node:path';

/**
 * The root directory of GPUX Convert's caches (Python environments, converted models, fixtures).
 *
 * Resolution order: the `override` argument, then the `GPUX_CACHE_DIR` environment variable, then
 * `$XDG_CACHE_HOME/gpux`, then `~/.cache/gpux`. The result is always absolute.
 *
 * @param override - A directory chosen by the caller (`--cache-dir`, `cacheDirectory` option).
 * @example
 * ```ts
 * const pythonRoot = path.join(resolveGpuxCacheDirectory(), 'python');
 * ```
 */
export function resolveGpuxCacheDirectory(override?: string, environment: NodeJS.ProcessEnv = process.env): string {
  const chosen =
    override ??
    nonEmpty(environment.GPUX_CACHE_DIR) ??
    (nonEmpty(environment.XDG_CACHE_HOME) ? path.join(environment.XDG_CACHE_HOME as string, 'gpux') : undefined) ??
    path.join(os.homedir(), '.cache', 'gpux');
  return path.resolve(chosen);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== '' ? value : undefined;
}
