import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { makeTinyBert } from '../test-support/make-tiny-bert';
import { descendantProcesses, isProcessAlive } from '../test-support/process-tree';
import { runBuiltCli, type CliRun } from '../test-support/run-built-cli';

/** Polls until `pid` is gone; returns the milliseconds it took (or `limitMs` + 1 when it never went). */
async function millisecondsUntilGone(pid: number, limitMs: number): Promise<number> {
  const startedAt = Date.now();
  while (Date.now() - startedAt <= limitMs) {
    if (!isProcessAlive(pid)) return Date.now() - startedAt;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return limitMs + 1;
}

/** Runs `convert` and SIGKILLs the CLI once its Python export child runs; returns the child pids and the run. */
async function convertAndKill(args: string[]): Promise<{ run: CliRun; pythonPids: number[]; killedAt: number }> {
  let cliPid = 0;
  let killedAt = 0;
  const pythonPids: number[] = [];
  let poll: NodeJS.Timeout | undefined;
  const run = await runBuiltCli(['convert', ...args, '--json', '--no-latency'], {
    onSpawn: (pid) => {
      cliPid = pid;
      poll = setInterval(() => {
        const children = descendantProcesses(cliPid).filter((child) => child.command.includes('export_model.py'));
        if (children.length === 0) return;
        clearInterval(poll);
        pythonPids.push(...children.map((child) => child.pid));
        // Let the child get into the export (torch imported, model loading) before the kill.
        setTimeout(() => {
          killedAt = Date.now();
          process.kill(cliPid, 'SIGKILL');
        }, 1500);
      }, 50);
    },
  });
  clearInterval(poll);
  return { run, pythonPids, killedAt };
}

describe('gpux-convert convert killed with SIGKILL', () => {
  let scratch: string;
  let modelDirectory: string;
  let cacheDirectory: string;

  beforeAll(async () => {
    scratch = await mkdtemp(path.join(os.tmpdir(), 'gpux-cli-killed-'));
    modelDirectory = path.join(scratch, 'tiny-bert');
    cacheDirectory = path.join(scratch, 'conversions');
    await makeTinyBert(modelDirectory);
  }, 600_000);

  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('takes its Python child down within a second or two, and the next run sweeps what it left', async () => {
    const output = path.join(scratch, 'out');
    // 1. Into an output directory: leaves `out.incomplete-*`.
    const intoOutput = await convertAndKill([modelDirectory, '--cache-dir', cacheDirectory, '-o', output]);
    expect(intoOutput.run.signal).toBe('SIGKILL');
    expect(intoOutput.pythonPids.length).toBeGreaterThan(0);
    for (const pid of intoOutput.pythonPids) expect(await millisecondsUntilGone(pid, 2000)).toBeLessThanOrEqual(2000);
    const leftInScratch = (await readdir(scratch)).filter((name) => name.startsWith('out.incomplete-'));
    expect(leftInScratch).toHaveLength(1);

    // 2. Into the cache only: leaves a staging directory under <cache>/.staging.
    const intoCache = await convertAndKill([modelDirectory, '--cache-dir', cacheDirectory]);
    expect(intoCache.run.signal).toBe('SIGKILL');
    for (const pid of intoCache.pythonPids) expect(await millisecondsUntilGone(pid, 2000)).toBeLessThanOrEqual(2000);
    const staged = (await readdir(path.join(cacheDirectory, '.staging'))).filter((name) => !name.endsWith('.lock'));
    expect(staged).toHaveLength(1);

    // 3. The next run (into the same output, so through the cache too) removes both, well before
    // the cache's 60 s stale-lock rule would.
    const next = await runBuiltCli(['convert', modelDirectory, '--cache-dir', cacheDirectory, '-o', output, '--json', '--no-latency']);
    expect(next.exitCode).toBe(0);
    expect((await stat(path.join(output, 'onnx', 'model.onnx'))).size).toBeGreaterThan(0);
    expect((await readdir(scratch)).filter((name) => name.startsWith('out.'))).toEqual([]);
    expect(await readdir(path.join(cacheDirectory, '.staging'))).toEqual([]);
  }, 600_000);
});
