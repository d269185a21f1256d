import { ConversionError } from '../conversion-error';
import type { ProgressEvent } from '../progress-event';
import { PythonWorker } from './python-worker';
import { checkBeforeStart, type PythonScriptResult, type PythonScriptRunner, type RunPythonScriptOptions } from './run-python-script';

/** Options of {@link PythonWorkerPool}. */
export interface PythonWorkerPoolOptions {
  /** Retire a worker after it has served this many requests (frameworks keep caches that grow). @default 25 */
  maxRequestsPerWorker?: number;
  /** Retire a worker whose resident memory is above this after a request. @default 4 GiB */
  maxWorkerRssBytes?: number;
  /**
   * Worker processes kept alive in all, busy and idle: when a new one would exceed it, idle ones (of
   * other scripts or interpreters first, longest idle first) are retired. Busy workers are never
   * taken, so a caller that runs more requests at once gets more processes. @default 2
   */
  maxWorkers?: number;
  /** Retire a worker that has been idle this long. @default 120000 */
  idleTimeoutMs?: number;
}

/** What a pool has done so far. */
export interface PythonWorkerPoolStats {
  /** Worker processes started. */
  started: number;
  /** Requests served by a worker that had served one before (the warm ones). */
  warmRequests: number;
  requests: number;
  /** Workers retired by the request or memory limit, idleness, or to make room. */
  retired: number;
  /** Workers that died during a request (killed, crashed) or were killed for a timeout or cancellation. */
  lost: number;
  /** Worker processes alive now. */
  alive: number;
}

const GIB = 1024 ** 3;

/**
 * Warm Python workers: one long-lived gpux_bridge.py process per interpreter and script (the
 * PyTorch or TensorFlow environment's export script), each serving many requests over JSON lines,
 * so `import torch` and friends are paid once. Each request keeps what a one-shot child gives: its
 * own scratch directory and environment (`env`, `cwd`), progress, a timeout, cancellation, its own
 * peak RSS and stderr tail. A worker is retired after `maxRequestsPerWorker` requests or above
 * `maxWorkerRssBytes`; a worker that crashes or is killed fails only its own request, with a typed
 * {@link ConversionError} (`OUT_OF_MEMORY` when the kernel killed it, else `EXPORT_FAILED`, with
 * `details.workerCrashed`), and the next request gets a fresh one. Timeouts and cancellation kill
 * the worker (Python cannot interrupt native framework code), then the request fails with
 * `TIMEOUT` / `CANCELLED`.
 *
 * Pass it as `workers` to {@link runPythonScriptIter}, or as `pythonWorkers` to `convertIter` (the
 * adapters then run their exports on it). Call {@link PythonWorkerPool.close} when done.
 *
 * Per-request `env` is applied to `os.environ` around the request (TMPDIR and the like); variables
 * read once at interpreter start (PYTHONPATH) are those of the worker's start.
 *
 * @example
 * ```ts
 * const workers = new PythonWorkerPool({ maxRequestsPerWorker: 20 });
 * try {
 *   for (const request of requests) {
 *     const { result } = await runPythonScript({ pythonExecutable, scriptPath, request, workers });
 *     console.log(result);
 *   }
 * } finally {
 *   await workers.close();
 * }
 * ```
 */
export class PythonWorkerPool implements PythonScriptRunner {
  private readonly maxRequestsPerWorker: number;
  private readonly maxWorkerRssBytes: number;
  private readonly maxWorkers: number;
  private readonly idleTimeoutMs: number;
  private readonly workers = new Set<PythonWorker>();
  private readonly counters = { started: 0, warmRequests: 0, requests: 0, retired: 0, lost: 0 };
  private closed = false;

  constructor(options: PythonWorkerPoolOptions = {}) {
    this.maxRequestsPerWorker = positiveInteger(options.maxRequestsPerWorker, 25, 'maxRequestsPerWorker');
    this.maxWorkers = positiveInteger(options.maxWorkers, 2, 'maxWorkers');
    this.maxWorkerRssBytes = positiveNumber(options.maxWorkerRssBytes, 4 * GIB, 'maxWorkerRssBytes');
    this.idleTimeoutMs = positiveNumber(options.idleTimeoutMs, 120_000, 'idleTimeoutMs');
  }

  /**
   * Runs a bridge script on a warm worker; the same contract as {@link runPythonScriptIter}.
   *
   * @throws ConversionError as {@link runPythonScriptIter} does; `CANCELLED` once the pool is closed.
   */
  async *runIter<T>(options: RunPythonScriptOptions): AsyncGenerator<ProgressEvent, PythonScriptResult<T>, void> {
    checkBeforeStart(options);
    if (this.closed) throw new ConversionError('CANCELLED', 'The Python worker pool was closed; no more requests are served.');
    const worker = this.acquire(options);
    this.counters.requests += 1;
    if (worker.requestCount > 0) this.counters.warmRequests += 1;
    let failed: unknown;
    try {
      return yield* worker.request<T>(options);
    } catch (error) {
      failed = error;
      throw error;
    } finally {
      this.release(worker, failed);
    }
  }

  /** Counts of what the pool has done. */
  stats(): PythonWorkerPoolStats {
    return { ...this.counters, alive: [...this.workers].filter((worker) => worker.alive).length };
  }

  /** The pids of the live worker processes (for diagnostics and tests). */
  workerPids(): number[] {
    return [...this.workers].filter((worker) => worker.alive && worker.pid !== undefined).map((worker) => worker.pid as number);
  }

  /** Retires every idle worker and kills busy ones (their requests fail with CANCELLED); settles once all have exited. */
  async close(): Promise<void> {
    this.closed = true;
    const exits = [...this.workers].map((worker) => (worker.busy ? worker.kill() : worker.retire()));
    this.workers.clear();
    await Promise.all(exits);
  }

  private acquire(options: RunPythonScriptOptions): PythonWorker {
    const key = `${options.pythonExecutable}\u0000${options.scriptPath}`;
    const idle = [...this.workers].filter((worker) => worker.key === key && worker.alive && !worker.busy);
    if (idle.length > 0) return idle.sort((a, b) => b.idleSince - a.idleSince)[0] as PythonWorker;
    this.makeRoom(key);
    const worker = new PythonWorker(key, options.pythonExecutable, options.scriptPath);
    this.workers.add(worker);
    this.counters.started += 1;
    void worker.exited.then(() => this.workers.delete(worker));
    return worker;
  }

  /** Retires idle workers until one more fits under `maxWorkers` (other keys first, longest idle first). */
  private makeRoom(key: string): void {
    const alive = [...this.workers].filter((worker) => worker.alive);
    let excess = alive.length + 1 - this.maxWorkers;
    const candidates = alive
      .filter((worker) => !worker.busy)
      .sort((a, b) => Number(a.key === key) - Number(b.key === key) || a.idleSince - b.idleSince);
    for (const worker of candidates) {
      if (excess <= 0) break;
      this.retire(worker);
      excess -= 1;
    }
  }

  private release(worker: PythonWorker, error: unknown): void {
    if (!worker.alive) {
      // Killed for a timeout or cancellation, or died on its own: the next request starts a new one.
      this.counters.lost += 1;
      this.workers.delete(worker);
      return;
    }
    const overMemory = worker.lastRssBytes !== undefined && worker.lastRssBytes > this.maxWorkerRssBytes;
    if (this.closed || overMemory || worker.requestCount >= this.maxRequestsPerWorker || ConversionError.hasCode(error, 'OUT_OF_MEMORY')) {
      this.retire(worker);
      return;
    }
    worker.idleTimer = setTimeout(() => this.retire(worker), this.idleTimeoutMs);
    worker.idleTimer.unref();
  }

  private retire(worker: PythonWorker): void {
    this.counters.retired += 1;
    this.workers.delete(worker);
    void worker.retire();
  }
}

function positiveInteger(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`options.${name} must be a positive integer, received ${String(value)}`);
  return value;
}

function positiveNumber(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!(Number.isFinite(value) && value > 0)) throw new RangeError(`options.${name} must be a positive number, received ${String(value)}`);
  return value;
}
