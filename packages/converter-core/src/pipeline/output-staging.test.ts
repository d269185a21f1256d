import { spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ownerProcessTag } from '@gpux/model-manager';
import { createBuildDirectory } from './output-staging';

function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

describe('createBuildDirectory', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'gpux-output-staging-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('names its owner and sweeps only the build directories of dead owners of the same output', async () => {
    const output = path.join(root, 'out');
    const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      const tagOf = (pid: number): string => ownerProcessTag().replace(/^\d+-/, `${pid}-`);
      const abandoned = `out.incomplete-${tagOf(deadPid())}-0a1b2c3d`;
      const live = `out.incomplete-${tagOf(sleeper.pid!)}-0a1b2c3d`;
      const otherOutput = `other.incomplete-${tagOf(deadPid())}-0a1b2c3d`;
      const untagged = 'out.incomplete-0a1b2c3d';
      for (const name of [abandoned, live, otherOutput, untagged]) await mkdir(path.join(root, name, 'onnx'), { recursive: true });

      const created = await createBuildDirectory(output);
      expect(path.basename(created)).toMatch(new RegExp(`^out\\.incomplete-${ownerProcessTag()}-[0-9a-f]{8}$`));
      expect((await readdir(root)).sort()).toEqual([path.basename(created), live, otherOutput, untagged].sort());
    } finally {
      sleeper.kill('SIGKILL');
    }
  });
});
