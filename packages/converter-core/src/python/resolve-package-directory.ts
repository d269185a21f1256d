import fs from 'node:fs';
import path from 'node:path';

import { ConversionError } from '../conversion-error';

/**
 * Walks up from `startDirectory` to the folder whose `package.json` has `name === packageName`.
 * Works from `src/` (jest runs the sources) and from `dist/` (the built package) alike.
 *
 * @param startDirectory - Where the search begins, usually `__dirname`.
 * @param packageName - The npm name to look for, e.g. `@gpux/converter-core`.
 * @returns The absolute path of the package's root directory.
 * @throws ConversionError `INTERNAL_ERROR` when no such package.json is found up to the filesystem root.
 * @example
 * ```ts
 * const root = resolvePackageDirectory(__dirname, '@gpux/pytorch-adapter');
 * const script = path.join(root, 'python', 'export_model.py');
 * ```
 */
export function resolvePackageDirectory(startDirectory: string, packageName: string): string {
  if (typeof startDirectory !== 'string' || startDirectory === '') {
    throw new TypeError(`startDirectory must be a non-empty string, received ${JSON.stringify(startDirectory)}`);
  }
  if (typeof packageName !== 'string' || packageName === '') {
    throw new TypeError(`packageName must be a non-empty string, received ${JSON.stringify(packageName)}`);
  }
  let directory = path.resolve(startDirectory);
  for (;;) {
    if (readPackageName(path.join(directory, 'package.json')) === packageName) return directory;
    const parent = path.dirname(directory);
    if (parent === directory) break;
    directory = parent;
  }
  throw new ConversionError(
    'INTERNAL_ERROR',
    `Could not find the package "${packageName}" above ${startDirectory}. Reinstall ${packageName}; its package.json must sit above its code.`,
    { details: { startDirectory, packageName } },
  );
}

/**
 * The absolute path of converter-core's `python/` folder, which holds `gpux_bridge.py`. The bridge
 * puts it on `PYTHONPATH` so scripts can `from gpux_bridge import run`.
 *
 * @throws ConversionError `INTERNAL_ERROR` when the package layout is broken.
 * @example
 * ```ts
 * const bridgeFile = path.join(bridgeModuleDirectory(), 'gpux_bridge.py');
 * ```
 */
export function bridgeModuleDirectory(): string {
  return path.join(resolvePackageDirectory(__dirname, '@gpux/converter-core'), 'python');
}

function readPackageName(packageJsonPath: string): string | undefined {
  let text: string;
  try {
    text = fs.readFileSync(packageJsonPath, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = JSON.parse(text) as { name?: unknown };
    return typeof parsed.name === 'string' ? parsed.name : undefined;
  } catch {
    return undefined;
  }
}
