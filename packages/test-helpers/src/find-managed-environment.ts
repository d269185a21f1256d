// Test support: a managed Python environment that `gpux-convert setup` already built, found without
// converter-core (for the packages below it).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestRequirementSet } from './find-test-python';

/** The fields of a managed environment's completion marker (`gpux-environment.json`) read here. */
interface CompletionMarkerFields {
  requirementSet?: unknown;
  createdAt?: unknown;
}

/** The GPUX cache root, in the order of `@gpux/model-manager`'s resolveGpuxCacheDirectory. */
function gpuxCacheDirectory(environment: NodeJS.ProcessEnv = process.env): string {
  const nonEmpty = (value: string | undefined): string | undefined => (value !== undefined && value.trim() !== '' ? value : undefined);
  const xdg = nonEmpty(environment.XDG_CACHE_HOME);
  return path.resolve(nonEmpty(environment.GPUX_CACHE_DIR) ?? (xdg === undefined ? path.join(os.homedir(), '.cache', 'gpux') : path.join(xdg, 'gpux')));
}

/**
 * The interpreter of the newest finished managed environment of `requirements.name` under
 * `<GPUX cache>/python/<hash>/`: one whose completion marker, written last by converter-core's
 * build, names the set. Environments still being built (`<hash>.incomplete`) are passed over.
 *
 * @throws Error when there is none; the message names the folder, `gpux-convert setup` and `overrideVariable`.
 */
export function findManagedEnvironment(requirements: TestRequirementSet, overrideVariable: string): string {
  const root = path.join(gpuxCacheDirectory(), 'python');
  const candidates = (existsSync(root) ? readdirSync(root) : [])
    .filter((entry) => !entry.includes('.'))
    .flatMap((entry) => {
      const markerFile = path.join(root, entry, 'gpux-environment.json');
      const executable = path.join(root, entry, process.platform === 'win32' ? path.join('Scripts', 'python.exe') : path.join('bin', 'python'));
      if (!existsSync(markerFile) || !existsSync(executable)) return [];
      const marker = JSON.parse(readFileSync(markerFile, 'utf8')) as CompletionMarkerFields;
      if (marker.requirementSet !== requirements.name) return [];
      return [{ executable, createdAt: typeof marker.createdAt === 'string' ? marker.createdAt : '' }];
    })
    .sort((left, right) => right.createdAt.localeCompare(left.createdAt));
  const newest = candidates[0];
  if (newest === undefined) {
    throw new Error(
      `No finished "${requirements.name}" Python environment under ${root}: build it first (\`gpux-convert setup ${requirements.name}\` builds the adapters' sets and gpux-runtime; its requirements: ${requirements.requirementsFile}), or set ${overrideVariable} to an interpreter that has the packages.`,
    );
  }
  return newest.executable;
}
