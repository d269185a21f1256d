import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BatchJobRecord } from '@gpux/converter-core';
import type { BatchReport } from '../batch/batch-report';
import { makeTinyBert } from '../test-support/make-tiny-bert';
import { descendantProcesses, isProcessAlive } from '../test-support/process-tree';
import { startRedisServer, type TestRedisServer } from '../test-support/redis-server';
import { runBuiltCli, type CliRun } from '../test-support/run-built-cli';
import { writeTinyOnnxModel } from '../test-support/tiny-onnx-models';

type QueueRecord = BatchJobRecord & { attempts?: number; worker?: string };
type WorkerEvent = { type: string; worker?: string; job?: string; event?: { type: string; phase?: string }; record?: QueueRecord };

/** A `gpux-convert worker` process of the test, with the JSON events it printed so far. */
interface TestWorker {
  pid: number;
  id: string;
  events: WorkerEvent[];
  run: Promise<CliRun>;
  waitFor(predicate: (event: WorkerEvent) => boolean, limitMs?: number): Promise<WorkerEvent>;
}

let scratch: string;
let redis: TestRedisServer;
let bert: string;
const workers: TestWorker[] = [];

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'gpux-cli-queue-'));
  redis = await startRedisServer();
  for (let seed = 0; seed < 6; seed += 1) await writeTinyOnnxModel(path.join(scratch, `mlp${String(seed)}.onnx`), seed);
  await writeFile(path.join(scratch, 'corrupt.onnx'), Buffer.from('this is not a protobuf model \u0000\u0001\u0002'));
  bert = path.join(scratch, 'tiny-bert');
  await makeTinyBert(bert);
}, 600_000);

afterEach(async () => {
  for (const worker of workers.splice(0)) {
    if (isProcessAlive(worker.pid)) process.kill(worker.pid, 'SIGINT');
    await worker.run;
  }
});

afterAll(async () => {
  await redis?.stop();
  await rm(scratch, { recursive: true, force: true });
});

/** Starts a worker on `queue` (short lock and stall check, so a dead worker's job moves on within seconds) and waits until it takes jobs. */
async function startWorker(queue: string, name: string): Promise<TestWorker> {
  const events: WorkerEvent[] = [];
  const waiters: Array<{ predicate: (event: WorkerEvent) => boolean; resolve: (event: WorkerEvent) => void }> = [];
  let pending = '';
  let pid = 0;
  const run = runBuiltCli(
    ['worker', '--queue', redis.url, '--queue-name', queue, '--json', '--lock-duration', '3000', '--stalled-interval', '1000', '--cache-dir', path.join(scratch, `cache-${name}`)],
    {
      onSpawn: (childPid) => (pid = childPid),
      onStdout: (chunk) => {
        pending += chunk;
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          const event = JSON.parse(line) as WorkerEvent;
          events.push(event);
          for (const waiter of waiters.filter((entry) => entry.predicate(event))) {
            waiters.splice(waiters.indexOf(waiter), 1);
            waiter.resolve(event);
          }
        }
      },
    },
  );
  const waitFor = (predicate: (event: WorkerEvent) => boolean, limitMs = 300_000) =>
    new Promise<WorkerEvent>((resolve, reject) => {
      const seen = events.find(predicate);
      if (seen !== undefined) return resolve(seen);
      const timer = setTimeout(() => reject(new Error(`worker ${name} printed no such event in ${String(limitMs)} ms: ${JSON.stringify(events.slice(-5))}`)), limitMs);
      waiters.push({ predicate, resolve: (event) => (clearTimeout(timer), resolve(event)) });
      void run.then((result) => {
        clearTimeout(timer);
        reject(new Error(`worker ${name} exited (${String(result.exitCode)}): ${result.stderr.slice(-2000)}`));
      });
    });
  const worker: TestWorker = { pid: 0, id: '', events, run, waitFor };
  const ready = await waitFor((event) => event.type === 'worker-ready', 60_000);
  worker.pid = pid;
  worker.id = ready.worker as string;
  workers.push(worker);
  return worker;
}

async function writeList(name: string, lines: string[]): Promise<string> {
  const file = path.join(scratch, `${name}.txt`);
  await writeFile(file, lines.join('\n') + '\n');
  return file;
}

async function readReport(file: string): Promise<BatchReport & { jobs: QueueRecord[] }> {
  return JSON.parse(await readFile(file, 'utf8')) as BatchReport & { jobs: QueueRecord[] };
}

/** The run's exit code, with the end of its stderr in the failure message when it differs. */
function expectExit(run: CliRun, code: number): void {
  if (run.exitCode !== code) throw new Error(`exit ${String(run.exitCode)} (expected ${String(code)}); stderr:\n${run.stderr.slice(-3000)}`);
}

/** Every model file a record lists exists with its size, and the folder holds the conversion report. */
async function expectComplete(root: string, record: QueueRecord): Promise<void> {
  expect(existsSync(path.join(root, record.name, 'conversion-report.json'))).toBe(true);
  for (const file of record.files ?? []) {
    const bytes = (await readFile(path.join(root, record.name, file.path))).length;
    expect({ name: record.name, path: file.path, bytes }).toEqual({ name: record.name, path: file.path, bytes: file.bytes });
  }
}

describe('batch --queue with gpux-convert worker on a real Redis', () => {
  it('2 workers convert 6 models into the shared output root; enqueuing the batch again adds nothing', async () => {
    const queue = 'six-models';
    const first = await startWorker(queue, 'a');
    const second = await startWorker(queue, 'b');
    const variants = ['--quantize int8', '--optimize O2', '--quantize fp16', '--optimize O1 --quantize uint8', '--quantize int8,fp16', '--optimize O2 --quantize q8'];
    const list = await writeList(queue, variants.map((options, index) => `${path.join(scratch, `mlp${String(index)}.onnx`)} ${options}`));
    const shared = path.join(scratch, 'shared-six');
    const follow = await runBuiltCli(['batch', list, '--queue', redis.url, '--queue-name', queue, '-o', shared, '--follow']);
    expectExit(follow, 0);
    expect(follow.stderr).toContain('Enqueued 6 models');
    const report = await readReport(path.join(shared, 'batch-report.json'));
    expect(report).toMatchObject({ mode: 'redis', queue: { url: `${redis.url}`, name: queue }, counts: { converted: 6, failed: 0 } });
    expect(report.jobs.map((job) => job.name)).toEqual(['mlp0', 'mlp1', 'mlp2', 'mlp3', 'mlp4', 'mlp5']);
    for (const job of report.jobs) {
      expect(job.attempts).toBe(1);
      await expectComplete(shared, job);
    }
    expect(report.jobs.find((job) => job.name === 'mlp4')!.files!.map((file) => file.variant).sort()).toEqual(['fp16', 'fp32', 'quantize-int8']);
    // Both workers took jobs, and each job was converted by one of them.
    expect(new Set(report.jobs.map((job) => job.worker))).toEqual(new Set([first.id, second.id]));
    expect((await readdir(shared)).filter((name) => name.includes('.incomplete'))).toEqual([]);

    const again = await runBuiltCli(['batch', list, '--queue', redis.url, '--queue-name', queue, '-o', shared, '--follow']);
    expect(again.exitCode).toBe(0);
    expect(again.stderr).toContain('0 new, 0 failed before and retried, 6 already there');
    const ends = [...first.events, ...second.events].filter((event) => event.type === 'job-end');
    expect(ends).toHaveLength(6);
  }, 600_000);

  it('6 models, 2 workers, one killed in the middle of a PyTorch export: the other finishes its job and the rest; nothing half-written', async () => {
    const queue = 'killed-worker';
    const doomed = await startWorker(queue, 'doomed');
    const onnxJobs = ['--quantize int8', '--optimize O2', '--quantize fp16', '--quantize uint8', '--optimize O1 --quantize int8'].map((options, index) => `${path.join(scratch, `mlp${String(index)}.onnx`)} ${options} --name after-${String(index)}`);
    const list = await writeList(queue, [`${bert} --name bert`, ...onnxJobs]);
    const shared = path.join(scratch, 'shared-killed');
    const enqueue = await runBuiltCli(['batch', list, '--queue', redis.url, '--queue-name', queue, '-o', shared]);
    expect(enqueue.exitCode).toBe(0);
    await doomed.waitFor((event) => event.type === 'job-progress' && event.job === 'bert' && event.event?.type === 'percent' && event.event.phase === 'export');
    const pythonPids = descendantProcesses(doomed.pid).filter((child) => child.command.includes('export_model.py')).map((child) => child.pid);
    expect(pythonPids).toHaveLength(1);
    const survivor = await startWorker(queue, 'survivor');
    process.kill(doomed.pid, 'SIGKILL');
    expect((await doomed.run).signal).toBe('SIGKILL');

    const follow = await runBuiltCli(['batch', list, '--queue', redis.url, '--queue-name', queue, '-o', shared, '--follow']);
    expectExit(follow, 0);
    const report = await readReport(path.join(shared, 'batch-report.json'));
    expect(report.jobs.map((job) => [job.name, job.status, job.worker])).toEqual([
      ['bert', 'converted', survivor.id],
      ...[0, 1, 2, 3, 4].map((index) => [`after-${String(index)}`, 'converted', survivor.id]),
    ]);
    const bertRecord = report.jobs[0]!;
    expect(bertRecord.validation!.map((entry) => entry.status)).toEqual(['passed']);
    for (const job of report.jobs) await expectComplete(shared, job);
    // The killed worker's Python child went with it, and its half-built folder was swept.
    for (const pid of pythonPids) expect(isProcessAlive(pid)).toBe(false);
    expect((await readdir(shared)).sort()).toEqual(['after-0', 'after-1', 'after-2', 'after-3', 'after-4', 'batch-report.json', 'bert']);
    expect(doomed.events.some((event) => event.type === 'job-end')).toBe(false);
  }, 600_000);

  it('does not retry a permanent failure (an invalid model): one attempt, its code in the report, exit 13', async () => {
    const queue = 'permanent';
    const worker = await startWorker(queue, 'permanent');
    const list = await writeList(queue, [path.join(scratch, 'corrupt.onnx'), `${path.join(scratch, 'mlp1.onnx')} --quantize int8`]);
    const shared = path.join(scratch, 'shared-permanent');
    const follow = await runBuiltCli(['batch', list, '--queue', redis.url, '--queue-name', queue, '-o', shared, '--follow', '--attempts', '3']);
    expect(follow.exitCode).toBe(13);
    const report = await readReport(path.join(shared, 'batch-report.json'));
    expect(report.jobs.map((job) => [job.name, job.status, job.error?.code, job.attempts])).toEqual([
      ['corrupt', 'failed', 'INVALID_MODEL_FILE', 1],
      ['mlp1', 'converted', undefined, 1],
    ]);
    expect(report.jobs[0]!.worker).toBe(worker.id);
    expect(follow.stderr).toContain('error [INVALID_MODEL_FILE]: corrupt:');
    // Give a retry (backoff 5 s) the time to show up: there is none.
    await new Promise((resolve) => setTimeout(resolve, 6000));
    expect(worker.events.filter((event) => event.type === 'job-end' && event.job === 'corrupt')).toHaveLength(1);

    // The same batch again: the failed job is retried (and fails the same way), the finished one kept.
    const again = await runBuiltCli(['batch', list, '--queue', redis.url, '--queue-name', queue, '-o', shared, '--follow', '--attempts', '3']);
    expectExit(again, 13);
    expect(again.stderr).toContain('0 new, 1 failed before and retried, 1 already there');
    const second = await readReport(path.join(shared, 'batch-report.json'));
    expect(second.jobs.map((job) => [job.name, job.status, job.error?.code])).toEqual([
      ['corrupt', 'failed', 'INVALID_MODEL_FILE'],
      ['mlp1', 'converted', undefined],
    ]);
    expect(worker.events.filter((event) => event.type === 'job-end' && event.job === 'corrupt')).toHaveLength(2);
  }, 300_000);

  it('says how to start Redis when --queue points at nothing (NETWORK_ERROR, exit 10), and refuses a URL that is not Redis\'s', async () => {
    const list = await writeList('unreachable', [path.join(scratch, 'mlp0.onnx')]);
    const closed = await startRedisServer();
    await closed.stop();
    const run = await runBuiltCli(['batch', list, '--queue', closed.url]);
    expect(run.exitCode).toBe(10);
    expect(run.stderr).toContain(`error [NETWORK_ERROR]: Redis at ${closed.url} could not be reached within 10 s`);
    expect(run.stderr).toContain("redis-server --port 6379 --bind 127.0.0.1 --save ''");
    const bad = await runBuiltCli(['batch', list, '--queue', 'http://127.0.0.1:6379']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('--queue must be a Redis URL such as redis://127.0.0.1:6379, received "http://127.0.0.1:6379"');
  }, 120_000);
});
