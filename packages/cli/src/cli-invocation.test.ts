import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { cliInvocation, withCliInvocation } from './cli-invocation';

describe('cliInvocation', () => {
  let scratch: string;
  let clone: string;
  let script: string;

  beforeAll(async () => {
    scratch = await mkdtemp(path.join(os.tmpdir(), 'gpux-cli-invocation-'));
    clone = path.join(scratch, 'clone');
    script = path.join(clone, 'packages', 'cli', 'dist', 'bin.cjs');
    await mkdir(path.dirname(script), { recursive: true });
    await writeFile(script, '#!/usr/bin/env node\n');
    await chmod(script, 0o755);
  });

  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('says `gpux-convert` when that name on PATH is this program (a global install or a bin link)', async () => {
    const bin = path.join(scratch, 'global-bin');
    await mkdir(bin);
    await symlink(script, path.join(bin, 'gpux-convert'));
    expect(cliInvocation({ script, pathVariable: ['/nowhere', bin].join(path.delimiter), cwd: clone })).toBe('gpux-convert');
  });

  it('says `npx --no-install gpux-convert` when the name is found in a project bin folder (npx, npm scripts)', async () => {
    const projectBin = path.join(clone, 'node_modules', '.bin');
    await mkdir(projectBin, { recursive: true });
    await symlink(path.relative(projectBin, script), path.join(projectBin, 'gpux-convert'));
    expect(cliInvocation({ script: path.join(projectBin, 'gpux-convert'), pathVariable: projectBin, cwd: clone })).toBe('npx --no-install gpux-convert');
  });

  it('says `node <bin>` relative to the clone when gpux-convert is not on PATH, or is another program', async () => {
    const other = path.join(scratch, 'other-bin');
    await mkdir(other);
    await writeFile(path.join(other, 'gpux-convert'), '#!/bin/sh\n');
    expect(cliInvocation({ script, pathVariable: other, cwd: clone })).toBe('node packages/cli/dist/bin.cjs');
    expect(cliInvocation({ script, pathVariable: '', cwd: path.join(scratch, 'elsewhere') })).toBe(`node ${script}`);
  });

  it('rewrites the commands in a message, and nothing else', () => {
    const message = 'Run `gpux-convert setup pytorch` to repair it (see gpux-convert doctor); gpux-convert-like names stay.';
    expect(withCliInvocation(message, 'node packages/cli/dist/bin.cjs')).toBe(
      'Run `node packages/cli/dist/bin.cjs setup pytorch` to repair it (see node packages/cli/dist/bin.cjs doctor); gpux-convert-like names stay.',
    );
    expect(withCliInvocation(message, 'gpux-convert')).toBe(message);
  });
});
