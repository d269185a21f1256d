import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import type { ProgressEvent } from '../progress-event';
import { conversionFailure } from './fixtures/conversion-failure';
import { PythonWorkerPool } from './python-worker-pool';
import { runPythonScript, runPythonScriptIter, type RunPythonScriptOptions } from './run-python-script';

const python = 'python3';
const fixture = path.join(__dirname, 'fixtures', 'bridge_fixture.py');

let scratch: string;
let pool: PythonWorkerPool;

beforeEach(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'gpux-worker-pool-test-'));
});

afterEach(async () => {
  await pool?.close();
  fs.rmSync(scratch, { recursive: true, force: true });
});

function run(request: Record<string, unknown>, extra: Partial<RunPythonScriptOptions> = {}) {
  const events: ProgressEvent[] = [];
  const promise = runPythonScript<Record<string, unknown>>({
    pythonExecutable: python,
    scriptPath: fixture,
    request,
    workers: pool,
    onProgress: (event) => events.push(event),
    ...extra,
  });
  return { events, promise };
}

function pidFrom(events: ProgressEvent[]): number {
  for (const event of events) {
    const match = event.type === 'message' ? /^pid=(\d+)$/.exec(event.message) : null;
    if (match?.[1] !== undefined) return Number(match[1]);
  }
  throw new Error('the fixture reported no pid');
}

function isAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function waitUntilGone(pid: number, limitMs = 5000): Promise<boolean> {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return !isAlive(pid);
}

/** Runs a `happy` request and returns the pid of the worker that served it. */
async function happyPid(): Promise<number> {
  const { events, promise } = run({ mode: 'happy', payload: 1 });
  await promise;
  return pidFrom(events);
}

describe('PythonWorkerPool', () => {
  it('serves many requests from one warm process, each with its own progress, result and stderr tail', async () => {
    pool = new PythonWorkerPool();
    const outcomes = [];
    const pids = [];
    for (const payload of ['a', 'b', 'c']) {
      const { events, promise } = run({ mode: 'happy', payload });
      outcomes.push(await promise);
      pids.push(pidFrom(events));
      expect(events.filter((event) => event.type === 'percent').map((event) => (event as { percent: number }).percent)).toEqual([25, 50, 75]);
    }
    expect(outcomes.map((outcome) => outcome.result.echo)).toEqual(['a', 'b', 'c']);
    expect(new Set(pids).size).toBe(1);
    // Start-up noise belongs to the first request only; each tail holds its own request's output once.
    expect(outcomes[0]!.stderrTail).toContain('[stdout] noise printed at import time');
    expect(outcomes[1]!.stderrTail).not.toContain('noise printed at import time');
    for (const outcome of outcomes) {
      expect(outcome.stderrTail.split('print() inside the handler goes to stderr').length - 1).toBe(1);
      expect(outcome.stderrTail).not.toContain('gpux-request-end');
      expect(outcome.peakRssBytes).toBeGreaterThan(1024 * 1024);
    }
    expect(pool.stats()).toMatchObject({ started: 1, requests: 3, warmRequests: 2, lost: 0, alive: 1 });
  });

  it('applies each request\'s env and cwd and undoes what a request changed', async () => {
    pool = new PythonWorkerPool();
    const first = path.join(scratch, 'first');
    const second = path.join(scratch, 'second');
    fs.mkdirSync(first);
    fs.mkdirSync(second);
    const one = await run({ mode: 'scope', label: 'one' }, { env: { TMPDIR: first }, cwd: first }).promise;
    const two = await run({ mode: 'scope', label: 'two' }, { env: { TMPDIR: second }, cwd: second }).promise;
    expect(one.result).toEqual({ tmpdir: first, tempdir: first, cwd: first, leakedVariable: null, leakedPathEntries: 0 });
    expect(two.result).toEqual({ tmpdir: second, tempdir: second, cwd: second, leakedVariable: null, leakedPathEntries: 0 });
    expect(one.stderrTail).toContain('stderr of one');
    expect(one.stderrTail).not.toContain('stderr of two');
    expect(two.stderrTail).toContain('stderr of two');
    expect(two.stderrTail).not.toContain('stderr of one');
    expect(pool.stats().started).toBe(1);
  });

  it('keeps the worker after an error the script reported, with the error\'s code', async () => {
    pool = new PythonWorkerPool();
    const before = await happyPid();
    const error = await conversionFailure(run({ mode: 'bridge-error' }).promise);
    expect(error.code).toBe('UNSUPPORTED_ARCHITECTURE');
    expect(error.details.architecture).toBe('FancyNet');
    const missing = await conversionFailure(run({ mode: 'missing-module' }, { requirementSetName: 'pytorch' }).promise);
    expect(missing.code).toBe('PYTHON_DEPENDENCY_MISSING');
    expect(missing.message).toContain('gpux-convert setup pytorch');
    expect(await happyPid()).toBe(before);
  });

  it('fails only the request of a worker that dies, with a typed error, and starts a fresh worker for the next', async () => {
    pool = new PythonWorkerPool();
    const before = await happyPid();
    const killed = run({ mode: 'self-kill' });
    const oom = await conversionFailure(killed.promise);
    expect(oom.code).toBe('OUT_OF_MEMORY');
    expect(oom.details).toMatchObject({ workerCrashed: true, workerPid: before, exitSignal: 'SIGKILL' });
    expect(oom.message).toContain('the next request gets a new worker');
    const exited = await conversionFailure(run({ mode: 'exit-quietly' }).promise);
    expect(exited.code).toBe('EXPORT_FAILED');
    expect(exited.details).toMatchObject({ workerCrashed: true, exitCode: 3 });
    expect(exited.message).toContain('something went wrong before the result');
    const after = await happyPid();
    expect(after).not.toBe(before);
    expect(isAlive(before)).toBe(false);
    expect(pool.stats()).toMatchObject({ started: 3, lost: 2 });
  });

  it('kills the worker on timeout and abort (TIMEOUT, CANCELLED) and serves the next request on a new one', async () => {
    pool = new PythonWorkerPool();
    const hung = run({ mode: 'hang', ignoreTerm: true }, { timeoutMs: 1000 });
    const timeout = await conversionFailure(hung.promise);
    expect(timeout.code).toBe('TIMEOUT');
    expect(timeout.details.exitSignal).toBe('SIGKILL');
    expect(isAlive(pidFrom(hung.events))).toBe(false);

    const controller = new AbortController();
    const events: ProgressEvent[] = [];
    const cancelled = runPythonScript({
      pythonExecutable: python,
      scriptPath: fixture,
      request: { mode: 'hang' },
      workers: pool,
      signal: controller.signal,
      onProgress: (event) => {
        events.push(event);
        if (event.type === 'message' && event.message === 'hanging') controller.abort();
      },
    });
    expect((await conversionFailure(cancelled)).code).toBe('CANCELLED');
    expect(isAlive(pidFrom(events))).toBe(false);
    expect((await run({ mode: 'happy', payload: 'next' }).promise).result.echo).toBe('next');
    expect(pool.stats()).toMatchObject({ started: 3, lost: 2 });
  });

  it('kills the worker when the consumer stops iterating early', async () => {
    pool = new PythonWorkerPool();
    const iterator = runPythonScriptIter<unknown>({ pythonExecutable: python, scriptPath: fixture, request: { mode: 'hang' }, workers: pool });
    let pid: number | undefined;
    for (;;) {
      const step = await iterator.next();
      if (step.done) throw new Error('the hanging fixture returned');
      const match = step.value.type === 'message' ? /^pid=(\d+)$/.exec(step.value.message) : null;
      if (match?.[1] !== undefined) pid = Number(match[1]);
      if (step.value.type === 'percent') break;
    }
    await iterator.return(undefined as never);
    expect(isAlive(pid!)).toBe(false);
    expect(pool.stats().alive).toBe(0);
  });

  it('retires a worker after maxRequestsPerWorker requests', async () => {
    pool = new PythonWorkerPool({ maxRequestsPerWorker: 2 });
    const pids = [await happyPid(), await happyPid(), await happyPid()];
    expect(pids[0]).toBe(pids[1]);
    expect(pids[2]).not.toBe(pids[0]);
    expect(await waitUntilGone(pids[0]!)).toBe(true);
    expect(pool.stats()).toMatchObject({ started: 2, retired: 1, lost: 0 });
  });

  it('retires a worker above the memory ceiling, and reports each request\'s own peak RSS', async () => {
    pool = new PythonWorkerPool({ maxWorkerRssBytes: 150 * 1024 * 1024 });
    const big = await run({ mode: 'allocate', megabytes: 200 }).promise;
    const small = await run({ mode: 'allocate', megabytes: 1 }).promise;
    expect(big.peakRssBytes).toBeGreaterThan(200 * 1024 * 1024);
    // The kernel's high-water mark was reset before the second request: it does not carry the first's 200 MiB.
    expect(small.peakRssBytes).toBeLessThan(100 * 1024 * 1024);
    expect(pool.stats()).toMatchObject({ started: 1, retired: 0 });
    const held = run({ mode: 'allocate', megabytes: 200, hold: true });
    await held.promise;
    const next = run({ mode: 'happy', payload: 1 });
    await next.promise;
    expect(pool.stats()).toMatchObject({ started: 2, retired: 1 });
  });

  it('keeps at most maxWorkers processes, retiring idle ones of another script to make room', async () => {
    const other = path.join(scratch, 'other_fixture.py');
    fs.copyFileSync(fixture, other);
    pool = new PythonWorkerPool({ maxWorkers: 1 });
    const first = await happyPid();
    const { events, promise } = run({ mode: 'happy', payload: 1 }, { scriptPath: other });
    await promise;
    expect(pidFrom(events)).not.toBe(first);
    expect(await waitUntilGone(first)).toBe(true);
    expect(pool.stats()).toMatchObject({ started: 2, retired: 1, alive: 1 });
  });

  it('runs requests at once on separate workers, and close() ends every process', async () => {
    pool = new PythonWorkerPool();
    const runs = [run({ mode: 'happy', payload: 1 }), run({ mode: 'happy', payload: 2 })];
    await Promise.all(runs.map((entry) => entry.promise));
    const pids = runs.map((entry) => pidFrom(entry.events));
    expect(new Set(pids).size).toBe(2);
    await pool.close();
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
    expect((await conversionFailure(run({ mode: 'happy' }).promise)).code).toBe('CANCELLED');
  });

  it('gives PYTHON_DEPENDENCY_MISSING (not a crash) for a script whose import fails, and a failure for a cwd that does not exist', async () => {
    pool = new PythonWorkerPool();
    const missing = await conversionFailure(run({}, { scriptPath: path.join(__dirname, 'fixtures', 'missing_import_fixture.py') }).promise);
    expect(missing.code).toBe('PYTHON_DEPENDENCY_MISSING');
    expect(missing.details.module).toBe('not_a_module');
    expect(missing.details.workerCrashed).toBeUndefined();
    const before = await happyPid();
    const noCwd = await conversionFailure(run({ mode: 'happy' }, { cwd: path.join(scratch, 'gone') }).promise);
    expect(noCwd.code).toBe('EXPORT_FAILED');
    expect(noCwd.message).toContain('FileNotFoundError');
    // The worker survived the bad request, with its own working directory back.
    expect(await happyPid()).toBe(before);
  });

  it('gives PYTHON_NOT_FOUND for an interpreter that does not exist, and rejects bad options', async () => {
    pool = new PythonWorkerPool();
    const error = await conversionFailure(run({ mode: 'happy' }, { pythonExecutable: path.join(scratch, 'no-python') }).promise);
    expect(error.code).toBe('PYTHON_NOT_FOUND');
    expect(() => new PythonWorkerPool({ maxRequestsPerWorker: 0 })).toThrow(RangeError);
    expect(() => new PythonWorkerPool({ maxWorkerRssBytes: -1 })).toThrow(/maxWorkerRssBytes/);
  });
});
