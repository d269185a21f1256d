import { spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { ConversionCache, isAbandonedByOwner, ownerProcessTag } from './index';

/** The pid of a process that has exited (and been reaped). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

function tagFor(pid: number): string {
  return ownerProcessTag().replace(/^\d+-/, `${pid}-`);
}

describe('ownerProcessTag / isAbandonedByOwner', () => {
  it('names this process and tells a dead owner from a live one', () => {
    expect(ownerProcessTag()).toMatch(new RegExp(`^${process.pid}-h[0-9a-f]{6}$`));
    const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      expect(isAbandonedByOwner(`out.incomplete-${tagFor(deadPid())}-0a1b2c3d`)).toBe(true);
      expect(isAbandonedByOwner(`out.incomplete-${tagFor(sleeper.pid!)}-0a1b2c3d`)).toBe(false);
      // This process, another host, and names without an owner tag are never abandoned.
      expect(isAbandonedByOwner(`out.incomplete-${ownerProcessTag()}-0a1b2c3d`)).toBe(false);
      expect(isAbandonedByOwner(`out.incomplete-${deadPid()}-h${ownerProcessTag().endsWith('000000') ? '111111' : '000000'}-0a1b2c3d`)).toBe(false);
      expect(isAbandonedByOwner('out.incomplete-0a1b2c3d')).toBe(false);
    } finally {
      sleeper.kill('SIGKILL');
    }
  });
});

describe('ConversionCache staging left by a killed process', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'gpux-owner-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('is swept at once (lock still fresh) while a live owner keeps its staging', async () => {
    const cache = new ConversionCache({ directory: path.join(root, 'cache') });
    const stagingRoot = path.join(cache.directory, '.staging');
    await mkdir(stagingRoot, { recursive: true });
    const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      // Fresh locks (proper-lockfile's `<dir>.lock`), as a process killed a moment ago or a live one leaves them.
      const dead = path.join(stagingRoot, `0123456789abcdef-${tagFor(deadPid())}-00112233aabb`);
      const live = path.join(stagingRoot, `0123456789abcdef-${tagFor(sleeper.pid!)}-00112233aabb`);
      for (const directory of [dead, live]) {
        await mkdir(`${directory}.lock`);
        await mkdir(directory);
        expect(await lockfile.check(directory, { realpath: false, stale: 60_000 })).toBe(true);
        await writeFile(path.join(directory, 'model.onnx'), 'partial');
      }
      const orphanLock = path.join(stagingRoot, `0123456789abcdef-${tagFor(deadPid())}-44556677ccdd.lock`);
      await mkdir(orphanLock);

      const staging = await cache.beginConversion({ sourceId: 'org/model', revision: 'r1', options: {} });
      const left = (await readdir(stagingRoot)).sort();
      expect(left).toEqual([path.basename(live), `${path.basename(live)}.lock`, path.basename(staging.directory), `${path.basename(staging.directory)}.lock`].sort());
      expect(path.basename(staging.directory)).toContain(`-${ownerProcessTag()}-`);
      await staging.abort();
    } finally {
      sleeper.kill('SIGKILL');
    }
  });
});
