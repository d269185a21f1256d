import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BatchJobRecord } from '@gpux/converter-core';
import type { BatchReport } from '../batch/batch-report';
import { makeTinyBert } from '../test-support/make-tiny-bert';
import { descendantProcesses, isProcessAlive } from '../test-support/process-tree';
import { builtCliPath, runBuiltCli } from '../test-support/run-built-cli';
import { runInPty } from '../test-support/run-in-pty';
import { renderScreen } from '../test-support/terminal-screen';
import { writeTinyOnnxModel } from '../test-support/tiny-onnx-models';

let scratch: string;
let bert: string;

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'gpux-cli-batch-'));
  for (let seed = 0; seed < 4; seed += 1) await writeTinyOnnxModel(path.join(scratch, `mlp${String(seed)}.onnx`), seed);
  bert = path.join(scratch, 'tiny-bert');
  await makeTinyBert(bert);
}, 600_000);

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function readReport(file: string): Promise<BatchReport> {
  return JSON.parse(await readFile(file, 'utf8')) as BatchReport;
}

function byName(report: BatchReport): Record<string, BatchJobRecord> {
  return Object.fromEntries(report.jobs.map((job) => [job.name, job]));
}

describe('gpux-convert batch', () => {
  it('converts a list with per-line options, records a failure without stopping, and skips done models when run again', async () => {
    const list = path.join(scratch, 'models.txt');
    await writeFile(
      list,
      [
        '# tiny ONNX models',
        `${path.join(scratch, 'mlp0.onnx')} --quantize int8`,
        `${path.join(scratch, 'mlp1.onnx')} --optimize O2 --quantize fp16 --name second`,
        path.join(scratch, 'no-such-model.onnx'),
        `${path.join(scratch, 'mlp2.onnx')} --no-validate`,
      ].join('\n'),
    );
    const output = path.join(scratch, 'out-list');
    const args = ['batch', list, '-o', output, '--concurrency', '2', '--cache-dir', path.join(scratch, 'cache-list')];
    const first = await runBuiltCli(args);
    expect(first.exitCode).toBe(13);
    const report = await readReport(path.join(output, 'batch-report.json'));
    expect(report).toMatchObject({ formatVersion: 1, mode: 'embedded', concurrency: 2, counts: { converted: 3, cached: 0, failed: 1, cancelled: 0, 'not-started': 0 } });
    const jobs = byName(report);
    expect(report.jobs.map((job) => job.name)).toEqual(['mlp0', 'second', 'no-such-model', 'mlp2']);
    expect(jobs['no-such-model']).toMatchObject({ status: 'failed', error: { code: 'SOURCE_NOT_FOUND' } });
    expect(jobs.mlp0!.files!.map((file) => [file.path, file.variant])).toEqual([
      ['onnx/model.onnx', 'fp32'],
      ['onnx/model_int8.onnx', 'quantize-int8'],
    ]);
    expect(jobs.second!.files!.map((file) => file.variant).sort()).toEqual(['fp16', 'fp32', 'optimize-O2']);
    expect(jobs.second!.validation!.map((entry) => [entry.variant, entry.status]).sort()).toEqual([
      ['fp16', 'passed'],
      ['fp32', 'skipped'],
      ['optimize-O2', 'passed'],
    ]);
    expect(jobs.mlp2!.validation!.map((entry) => entry.status)).toEqual(['skipped']);
    for (const name of ['mlp0', 'second', 'mlp2']) {
      for (const file of jobs[name]!.files!) {
        const bytes = (await readFile(path.join(output, name, file.path))).length;
        expect({ name, path: file.path, bytes }).toEqual({ name, path: file.path, bytes: file.bytes });
      }
    }
    // The summary table and the failure's code are printed.
    expect(first.stdout).toMatch(/second\s+converted\s+\S+\s+\S+ KiB\s+2 passed/);
    expect(first.stdout).toContain('3 converted, 0 cached, 1 failed of 4');
    expect(first.stderr).toContain('error [SOURCE_NOT_FOUND]: no-such-model:');

    const second = await runBuiltCli(args);
    expect(second.exitCode).toBe(13);
    const again = await readReport(path.join(output, 'batch-report.json'));
    expect(again.jobs.map((job) => job.status)).toEqual(['cached', 'cached', 'failed', 'cached']);
    expect((await readdir(output)).sort()).toEqual(['batch-report.json', 'mlp0', 'mlp2', 'second']);
  });

  it('reads a YAML manifest from stdin, and exits 0 when every model converted', async () => {
    const manifest = ['defaults:', '  quantize: [int8]', 'models:', `  - ${path.join(scratch, 'mlp0.onnx')}`, `  - source: ${path.join(scratch, 'mlp3.onnx')}`, '    name: fourth', '    quantize: [uint8]'].join('\n');
    const output = path.join(scratch, 'out-yaml');
    const run = await runBuiltCli(['batch', '-', '-o', output, '--cache-dir', path.join(scratch, 'cache-yaml'), '--json'], { stdin: manifest });
    expect(run.exitCode).toBe(0);
    const lines = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as { type: string; job?: string });
    expect(lines[0]).toEqual({ type: 'batch-start', total: 2, concurrency: 1 });
    expect(lines.filter((line) => line.type === 'job-end').map((line) => line.job)).toEqual(['mlp0', 'fourth']);
    const result = lines.at(-1) as unknown as BatchReport & { type: string; reportPath: string };
    expect(result.type).toBe('result');
    expect(result.reportPath).toBe(path.join(output, 'batch-report.json'));
    expect(result.jobs.map((job) => job.files!.map((file) => file.variant))).toEqual([
      ['fp32', 'quantize-int8'],
      ['fp32', 'quantize-uint8'],
    ]);
  });

  it('stops on Ctrl-C with exit 130 (the running PyTorch export killed, nothing half-written), and the next run resumes', async () => {
    const list = path.join(scratch, 'resume.txt');
    await writeFile(list, [path.join(scratch, 'mlp0.onnx'), `${bert} --name bert`, path.join(scratch, 'mlp1.onnx')].join('\n'));
    const output = path.join(scratch, 'out-resume');
    const args = ['batch', list, '-o', output, '--cache-dir', path.join(scratch, 'cache-resume'), '--json'];
    let cliPid = 0;
    let pythonPids: number[] = [];
    let interrupted = false;
    let pending = '';
    const cancelled = await runBuiltCli(args, {
      onSpawn: (pid) => (cliPid = pid),
      onStdout: (chunk) => {
        pending += chunk;
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          const event = JSON.parse(line) as { type: string; job?: string; event?: { type: string; phase?: string; percent?: number } };
          // Interrupt once the warm worker is inside the export (PyTorch imported, progress reported).
          if (!interrupted && event.type === 'job-progress' && event.job === 'bert' && event.event?.type === 'percent' && event.event.phase === 'export') {
            interrupted = true;
            pythonPids = descendantProcesses(cliPid).filter((child) => child.command.includes('export_model.py')).map((child) => child.pid);
            process.kill(cliPid, 'SIGINT');
          }
        }
      },
    });
    expect(interrupted).toBe(true);
    expect(cancelled.exitCode).toBe(130);
    expect(pythonPids).toHaveLength(1);
    expect(isProcessAlive(pythonPids[0]!)).toBe(false);
    const report = await readReport(path.join(output, 'batch-report.json'));
    expect(report.jobs.map((job) => [job.name, job.status, job.error?.code])).toEqual([
      ['mlp0', 'converted', undefined],
      ['bert', 'cancelled', 'CANCELLED'],
      ['mlp1', 'not-started', undefined],
    ]);
    // Only the finished model and the report are in the output root: no bert, no *.incomplete-*.
    expect((await readdir(output)).sort()).toEqual(['batch-report.json', 'mlp0']);

    const resumed = await runBuiltCli(args);
    expect(resumed.exitCode).toBe(0);
    const done = await readReport(path.join(output, 'batch-report.json'));
    expect(done.jobs.map((job) => [job.name, job.status])).toEqual([
      ['mlp0', 'cached'],
      ['bert', 'converted'],
      ['mlp1', 'converted'],
    ]);
    expect(byName(done).bert!.validation!.map((entry) => entry.status)).toEqual(['passed']);
    expect(byName(done).bert!.exportPeakRssBytes).toBeGreaterThan(100 * 1024 * 1024);
    expect(existsSync(path.join(output, 'bert', 'onnx', 'model.onnx'))).toBe(true);
    expect(done.workers).toMatchObject({ started: 1, requests: 1, lost: 0 });
  }, 600_000);
});

describe('gpux-convert batch on a terminal (a real pty, replayed through xterm.js)', () => {
  it('ends with the overall bar at 100%, one line per model, and the summary table below them', async () => {
    const list = path.join(scratch, 'tty.txt');
    await writeFile(list, [`${path.join(scratch, 'mlp0.onnx')} --quantize int8`, `${path.join(scratch, 'mlp1.onnx')} --quantize fp16`, path.join(scratch, 'absent.onnx')].join('\n'));
    const columns = 100;
    const rows = 30;
    const run = await runInPty([process.execPath, builtCliPath, 'batch', list, '-o', path.join(scratch, 'out-tty'), '--concurrency', '2', '--cache-dir', path.join(scratch, 'cache-tty')], { columns, rows });
    expect(run.exitCode).toBe(13);
    const screen = await renderScreen(run.output, columns, rows);
    const header = screen.findIndex((row) => /^model +status +time +size +validation +error/.test(row));
    expect(header).toBeGreaterThan(0);
    const above = screen.slice(0, header);
    expect(above.filter((row) => /^[✓✗] /.test(row)).map((row) => row.split(' ').slice(0, 3).join(' ')).sort()).toEqual(['✓ mlp0 converted', '✓ mlp1 converted', '✗ absent failed']);
    expect(above.filter((row) => row.includes('|')).at(-1)).toMatch(/^ batch +\|█+\| 100% \| \d+\.\ds \| 3\/3 done, 0 running, 1 failed/);
    expect(screen.slice(header + 2, header + 5).map((row) => row.split(/ +/).slice(0, 2).join(' '))).toEqual(['mlp0 converted', 'mlp1 converted', 'absent failed']);
    expect(screen.slice(header).some((row) => /\d+% \|/.test(row))).toBe(false);
    for (const row of screen) expect(row.length).toBeLessThanOrEqual(columns);
  });
});
