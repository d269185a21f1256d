import os from 'node:os';
import path from 'node:path';
import { batchJobRecord, convertIter, holdsConversionOutput, PythonWorkerPool, type BatchEvent, type ProgressEvent } from '@gpux/converter-core';
import type { Job } from 'bullmq';
import type { Command } from 'commander';
import { modelConversionOptions } from '../conversion/model-conversion-options';
import { BatchProgressRenderer } from '../output/batch-progress-renderer';
import { ProgressRenderer } from '../output/progress-renderer';
import { parsePositiveInteger } from '../parse-option-values';
import { checkRedisUrl, loadQueueLibrary, redactRedisUrl } from '../queue/load-queue-library';
import { failureReason, isTransientFailure, type QueueJobData, type QueueJobProgress, type QueueJobRecord } from '../queue/queue-job';
import { runCommand } from '../run-command';
import { addRuntimeOptions, sharedConvertDefaults, workerPoolOptions, type BatchCliOptions } from './batch-command';

interface WorkerCliOptions extends Pick<BatchCliOptions, 'cacheDir' | 'hubUrl' | 'token' | 'offline' | 'python' | 'force' | 'trustRemoteCode' | 'workerMaxRequests' | 'workerMaxRss' | 'json'> {
  queue: string;
  queueName: string;
  output?: string;
  concurrency: number;
  lockDuration: number;
  stalledInterval: number;
  maxJobs?: number;
}

/** Progress is published to Redis at most this often per job (phase changes go at once). */
const PROGRESS_INTERVAL_MS = 500;

/** `gpux-convert worker --queue redis://...`: take conversions from the queue and run them on warm Python workers. */
export function registerWorkerCommand(program: Command): void {
  const command = program
    .command('worker')
    .description('Take conversions from a BullMQ queue in Redis (enqueued by `batch --queue`) and run them with warm Python workers until stopped (Ctrl-C).')
    .requiredOption('--queue <redis-url>', 'the Redis server, e.g. redis://127.0.0.1:6379')
    .option('--queue-name <name>', 'the BullMQ queue\'s name', 'gpux-convert')
    .option('-o, --output <dir>', 'shared output root for jobs enqueued without -o: each model goes to <dir>/<name> (a path every worker sees)')
    .option('--concurrency <n>', 'conversions at once, each on its own warm Python worker', parsePositiveInteger, 1)
    .option('--lock-duration <ms>', 'how long a job stays this worker\'s without a lock renewal; a job whose worker died goes back to the queue after about this long', parsePositiveInteger, 30_000)
    .option('--stalled-interval <ms>', 'how often this worker looks for jobs whose worker died', parsePositiveInteger, 30_000)
    .option('--max-jobs <n>', 'stop after this many jobs (for scripts and tests)', parsePositiveInteger)
    .option('--trust-remote-code', 'allow the hub manager to fetch models that need their own code (each job says whether its conversion may run it)')
    .option('--json', 'one JSON event per line on stdout');
  addRuntimeOptions(command);
  command.action(async (options: WorkerCliOptions) => {
    const json = Boolean(options.json);
    const renderer = new BatchProgressRenderer(ProgressRenderer.chooseMode(json));
    await runCommand(renderer, json, async ({ signal }) => {
      checkRedisUrl(options.queue);
      const { bullmq, connect } = await loadQueueLibrary();
      const workerId = `${os.hostname()}:${String(process.pid)}`;
      const pool = new PythonWorkerPool({ maxWorkers: options.concurrency, ...workerPoolOptions(options) });
      const shared = sharedConvertDefaults(options);
      const connection = await connect(options.queue);
      let processed = 0;
      let stopRunning: (() => void) | undefined;

      const processJob = async (job: Job<QueueJobData, QueueJobRecord>): Promise<QueueJobRecord> => {
        const data = job.data;
        const startedAt = performance.now();
        const outputRoot = data.outputRoot ?? (options.output === undefined ? undefined : path.resolve(options.output));
        const outputDirectory = outputRoot === undefined ? undefined : path.join(outputRoot, data.name);
        renderer.handle({ type: 'job-start', job: data.name, index: processed, source: data.source });
        const publisher = progressPublisher(job, workerId);
        try {
          const conversion = convertIter({
            ...shared,
            ...modelConversionOptions(data.options),
            source: data.source,
            outputDirectory,
            overwrite: outputDirectory !== undefined && (await holdsConversionOutput(outputDirectory)),
            force: options.force === true || data.force === true,
            pythonWorkers: pool,
            signal,
          });
          for (;;) {
            const step = await conversion.next();
            if (step.done) {
              const record: QueueJobRecord = { ...batchJobRecord(data.name, data.source, performance.now() - startedAt, { result: step.value }), attempts: job.attemptsMade + 1, worker: workerId };
              renderer.handle(jobEnd(data.name, record, ++processed));
              return record;
            }
            renderer.handle({ type: 'job-progress', job: data.name, event: step.value });
            publisher.publish(step.value);
          }
        } catch (error) {
          const record = batchJobRecord(data.name, data.source, performance.now() - startedAt, { error });
          renderer.handle(jobEnd(data.name, { ...record, attempts: job.attemptsMade + 1, worker: workerId }, ++processed));
          // Permanent failures (an invalid model) are not retried; transient ones (and jobs this worker
          // gave up because it is stopping) go back to the queue with backoff.
          if (isTransientFailure(error) || signal.aborted) throw new Error(failureReason(error));
          throw new bullmq.UnrecoverableError(failureReason(error));
        } finally {
          await publisher.flush();
          if (options.maxJobs !== undefined && processed >= options.maxJobs) stopRunning?.();
        }
      };

      const worker = new bullmq.Worker<QueueJobData, QueueJobRecord>(options.queueName, processJob, {
        connection,
        concurrency: options.concurrency,
        lockDuration: options.lockDuration,
        stalledInterval: options.stalledInterval,
        // A job whose worker died twice goes to another worker a second time before it counts as failed.
        maxStalledCount: 2,
      });
      worker.on('error', (error) => renderer.log(`queue error: ${error.message}`));
      await worker.waitUntilReady();
      if (json) process.stdout.write(JSON.stringify({ type: 'worker-ready', worker: workerId, queue: redactRedisUrl(options.queue), queueName: options.queueName, concurrency: options.concurrency }) + '\n');
      renderer.log(`worker ${workerId} is taking jobs from ${redactRedisUrl(options.queue)} (queue ${options.queueName}, ${String(options.concurrency)} at a time)`);
      await new Promise<void>((resolve) => {
        stopRunning = resolve;
        if (signal.aborted) resolve();
        signal.addEventListener('abort', () => resolve(), { once: true });
      });
      // Ctrl-C: the running conversions were cancelled (their jobs go back to the queue); wait for them to let go.
      await worker.close();
      await pool.close();
      await connection.quit().catch(() => undefined);
      renderer.stop();
      return signal.aborted ? 130 : 0;
    });
  });
}

function jobEnd(name: string, record: QueueJobRecord, completed: number): BatchEvent {
  return { type: 'job-end', job: name, index: completed - 1, record, completed, total: completed };
}

/** Publishes a job's progress to Redis: each phase start at once, percents at most every {@link PROGRESS_INTERVAL_MS}. */
function progressPublisher(job: Job<QueueJobData, QueueJobRecord>, worker: string): { publish(event: ProgressEvent): void; flush(): Promise<void> } {
  let current: QueueJobProgress = { phase: 'resolve', worker };
  let lastSent = 0;
  let pending: Promise<void> = Promise.resolve();
  const send = () => {
    lastSent = Date.now();
    const snapshot = { ...current };
    pending = pending.then(() => job.updateProgress(snapshot as unknown as object)).catch(() => undefined);
  };
  return {
    publish(event) {
      if (event.type === 'phase-start') {
        current = { phase: event.label === undefined ? event.phase : `${event.phase}:${event.label}`, worker };
        send();
        return;
      }
      if (event.type === 'percent') current = { ...current, percent: event.percent, ...(event.label === undefined ? {} : { detail: event.label }) };
      else if (event.type === 'message' && event.level === 'info') current = { ...current, detail: event.message };
      else return;
      if (Date.now() - lastSent >= PROGRESS_INTERVAL_MS) send();
    },
    flush: () => pending,
  };
}
