import { readFileSync } from 'node:fs';
import path from 'node:path';

let cached: string | undefined;

/** The version of `@gpux/converter-core` (from its package.json, found from this file upwards). */
export function converterCoreVersion(): string {
  if (cached !== undefined) return cached;
  let directory = __dirname;
  for (let depth = 0; depth < 5; depth += 1) {
    try {
      const manifest = JSON.parse(readFileSync(path.join(directory, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (manifest.name === '@gpux/converter-core' && typeof manifest.version === 'string') {
        cached = manifest.version;
        return cached;
      }
    } catch {
      // no package.json at this level
    }
    directory = path.dirname(directory);
  }
  cached = 'unknown';
  return cached;
}
