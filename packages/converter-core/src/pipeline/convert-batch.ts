import path from 'node:path';
import { drainEvents } from '../progress-event';
import { EventChannel } from '../python/event-channel';
import { PythonWorkerPool } from '../python/python-worker-pool';
import type { PythonScriptRunner } from '../python/run-python-script';
import { batchJobRecord, countBatchJobStatuses, describeBatchSource, uniqueBatchJobNames } from './batch-job-record';
import type { BatchEvent, BatchJob, BatchJobRecord, BatchResult, ConvertBatchOptions } from './batch-types';
import { convertIter } from './convert';
import type { ConvertOptions } from './convert-options';
import { holdsConversionOutput } from './output-staging';

function checkBatchOptions(options: ConvertBatchOptions): number {
  if (typeof options !== 'object' || options === null) throw new TypeError('Parameter "options" must be an object.');
  if (!Array.isArray(options.jobs)) throw new TypeError(`Parameter "jobs" must be an array, received ${typeof options.jobs}.`);
  if (typeof options.defaults !== 'object' || options.defaults === null) throw new TypeError('Parameter "defaults" must be an object (adapters, cache, ...).');
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`Parameter "concurrency" must be a positive integer, received ${String(options.concurrency)}.`);
  options.jobs.forEach((job: BatchJob | undefined, index) => {
    const source: unknown = job?.source;
    if (typeof source !== 'string' && typeof (source as { path?: unknown } | undefined)?.path !== 'string') {
      throw new TypeError(`Parameter "jobs[${String(index)}].source" must be a hub id, a path or a ModelSource, received ${JSON.stringify(source)}.`);
    }
  });
  return concurrency;
}

function isRunner(value: ConvertBatchOptions['workers']): value is PythonScriptRunner {
  return typeof (value as PythonScriptRunner | undefined)?.runIter === 'function';
}

/**
 * Converts many models: every job runs {@link convertIter} with the batch's defaults under its own
 * options, `concurrency` at a time, each on a warm Python worker (see {@link PythonWorkerPool}), so the
 * frameworks are imported once per worker rather than once per model. A failed job never stops the
 * others: it is recorded with its error code and the batch goes on. With `defaults.cache`, a job
 * converted before is restored from the cache (status `cached`), so running a batch again, or after
 * it was cancelled, does only what is left. Events name their job; the result has one record per job
 * in input order (status, error code, time, file sizes, validation), the material of
 * `batch-report.json`.
 *
 * Cancelling (`signal`) stops the running jobs (their Python workers are killed and they leave no
 * output) and starts no more: the result then has `cancelled: true`, the running jobs `cancelled`
 * and the rest `not-started`. It returns rather than throws, so the caller can still write the report.
 *
 * @throws TypeError / RangeError for bad options (before any job starts).
 * @example
 * ```ts
 * const batch = convertBatchIter({
 *   jobs: [{ source: 'prajjwal1/bert-tiny' }, { source: './models/resnet.onnx', variants: [] }],
 *   defaults: { adapters: [pytorchAdapter, tensorflowAdapter], modelManagers: [new HuggingFaceManager()], cache: new ConversionCache() },
 *   outputRoot: './converted',
 *   concurrency: 2,
 * });
 * for (;;) {
 *   const step = await batch.next();
 *   if (step.done) { console.log(step.value.counts); break; }
 *   if (step.value.type === 'job-end') console.log(step.value.job, step.value.record.status);
 * }
 * ```
 */
export async function* convertBatchIter(options: ConvertBatchOptions): AsyncGenerator<BatchEvent, BatchResult, void> {
  const concurrency = checkBatchOptions(options);
  const startedAt = performance.now();
  const names = uniqueBatchJobNames(options.jobs);
  const records: Array<BatchJobRecord | undefined> = options.jobs.map(() => undefined);
  const ownsPool = !isRunner(options.workers);
  const workers: PythonScriptRunner = isRunner(options.workers) ? options.workers : new PythonWorkerPool({ maxWorkers: concurrency, ...options.workers });
  // Stops the lanes when the caller aborts or stops iterating early.
  const stop = new AbortController();
  const signal = options.signal === undefined ? stop.signal : AbortSignal.any([options.signal, stop.signal]);
  const channel = new EventChannel<BatchEvent>();
  let next = 0;
  let completed = 0;

  const runJob = async (index: number): Promise<void> => {
    const job = options.jobs[index] as BatchJob;
    const name = names[index] as string;
    const jobStartedAt = performance.now();
    channel.push({ type: 'job-start', job: name, index, source: describeBatchSource(job.source) });
    let record: BatchJobRecord;
    try {
      const convertOptions = await jobConvertOptions(options, job, name, workers, signal);
      const conversion = convertIter(convertOptions);
      for (;;) {
        const step = await conversion.next();
        if (step.done) {
          record = batchJobRecord(name, job.source, performance.now() - jobStartedAt, { result: step.value });
          break;
        }
        channel.push({ type: 'job-progress', job: name, event: step.value });
      }
    } catch (error) {
      record = batchJobRecord(name, job.source, performance.now() - jobStartedAt, { error });
    }
    records[index] = record;
    completed += 1;
    channel.push({ type: 'job-end', job: name, index, record, completed, total: options.jobs.length });
  };

  const lane = async (): Promise<void> => {
    while (!signal.aborted && next < options.jobs.length) {
      const index = next;
      next += 1;
      await runJob(index);
    }
  };

  yield { type: 'batch-start', total: options.jobs.length, concurrency };
  const lanes = Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, options.jobs.length)) }, () => lane()));
  void lanes.finally(() => channel.close());
  try {
    for await (const event of channel) yield event;
    await lanes;
  } finally {
    stop.abort();
    await lanes.catch(() => undefined);
    if (ownsPool) await (workers as PythonWorkerPool).close();
  }

  const jobs = records.map(
    (record, index) => record ?? { name: names[index] as string, source: describeBatchSource((options.jobs[index] as BatchJob).source), status: 'not-started' as const, durationMs: 0 },
  );
  return {
    jobs,
    counts: countBatchJobStatuses(jobs),
    durationMs: Math.round(performance.now() - startedAt),
    cancelled: options.signal?.aborted === true,
    ...(ownsPool ? { workers: (workers as PythonWorkerPool).stats() } : {}),
  };
}

/** The convert options of one job: the defaults, the job's own fields over them, its output folder, the pool and the batch's signal. */
async function jobConvertOptions(options: ConvertBatchOptions, job: BatchJob, name: string, workers: PythonScriptRunner, signal: AbortSignal): Promise<ConvertOptions> {
  const { name: _name, outputDirectory: ownOutput, ...overrides } = job;
  const outputDirectory = ownOutput !== undefined ? path.resolve(ownOutput) : options.outputRoot !== undefined ? path.join(path.resolve(options.outputRoot), name) : undefined;
  const overwrite = options.overwrite === true || (outputDirectory !== undefined && (await holdsConversionOutput(outputDirectory)));
  return {
    ...options.defaults,
    ...overrides,
    outputDirectory,
    overwrite,
    pythonWorkers: workers,
    signal,
  };
}

/**
 * Awaitable form of {@link convertBatchIter}; events go to `onEvent`.
 *
 * @throws as {@link convertBatchIter}.
 * @example
 * ```ts
 * const result = await convertBatch({
 *   jobs: [{ source: './models/a.onnx' }, { source: './models/b.onnx' }],
 *   defaults: { adapters: [pytorchAdapter], cache: new ConversionCache() },
 *   outputRoot: './converted',
 *   onEvent: (event) => { if (event.type === 'job-end') console.log(event.job, event.record.status); },
 * });
 * console.log(result.counts.failed === 0 ? 'all converted' : 'some failed');
 * ```
 */
export function convertBatch(options: ConvertBatchOptions & { onEvent?: (event: BatchEvent) => void }): Promise<BatchResult> {
  return drainEvents(convertBatchIter(options), options.onEvent);
}
