import path from 'node:path';
import { countBatchJobStatuses, uniqueBatchJobNames, type BatchJobRecord } from '@gpux/converter-core';
import type { Job, Queue } from 'bullmq';
import { batchExitCode, batchReportPath, printBatchOutcome, writeBatchReport, type BatchReport } from '../batch/batch-report';
import { mergeJobOptions } from '../batch/batch-job-options';
import type { BatchManifest } from '../batch/read-batch-manifest';
import type { ModelConversionCliOptions } from '../conversion/model-conversion-options';
import type { BatchCliOptions } from '../commands/batch-command';
import type { BatchProgressRenderer } from '../output/batch-progress-renderer';
import { checkRedisUrl, loadQueueLibrary, redactRedisUrl } from './load-queue-library';
import { parseFailureReason, queueJobId, type QueueJobData, type QueueJobProgress, type QueueJobRecord } from './queue-job';

/** What `batch --queue` works from. */
export interface EnqueueBatchInput {
  manifest: BatchManifest;
  defaults: ModelConversionCliOptions;
  options: BatchCliOptions;
  renderer: BatchProgressRenderer;
  signal: AbortSignal;
  queueUrl: string;
}

/** How often `--follow` reads the jobs' states and progress. */
const FOLLOW_INTERVAL_MS = 250;

/** Backoff of retried jobs: 5 s, 10 s, 20 s... */
const BACKOFF_DELAY_MS = 5000;

/**
 * `batch --queue redis://...`: puts every model on the BullMQ queue (ids derived from what each job
 * converts, so enqueuing the same batch again adds no copies: a failed job is retried, a finished
 * one kept unless `--force`), then, with `--follow`, shows the workers' progress until every job has
 * finished and writes batch-report.json. Returns the exit code.
 */
export async function enqueueBatch(input: EnqueueBatchInput): Promise<number> {
  const { manifest, defaults, options, renderer } = input;
  checkRedisUrl(input.queueUrl);
  const { bullmq, connect } = await loadQueueLibrary();
  const connection = await connect(input.queueUrl);
  const queue = new bullmq.Queue<QueueJobData, QueueJobRecord>(options.queueName, { connection });
  try {
    const names = uniqueBatchJobNames(manifest.entries);
    const outputRoot = options.output === undefined ? undefined : path.resolve(options.output);
    const jobs = manifest.entries.map((entry, index): { id: string; data: QueueJobData } => {
      const data: QueueJobData = {
        formatVersion: 1,
        source: entry.source,
        name: names[index] as string,
        options: mergeJobOptions(defaults, entry.options),
        outputRoot,
        ...(options.force === true ? { force: true } : {}),
      };
      return { id: queueJobId(data), data };
    });
    const tally = { added: 0, retried: 0, kept: 0 };
    for (const { id, data } of jobs) {
      const state = await queue.getJobState(id);
      if (state === 'failed' && options.force !== true) {
        await (await queue.getJob(id))?.retry('failed');
        tally.retried += 1;
        continue;
      }
      const redo = options.force === true && (state === 'completed' || state === 'failed');
      if (state !== 'unknown' && !redo) {
        tally.kept += 1;
        continue;
      }
      if (redo) await (await queue.getJob(id))?.remove();
      await queue.add(data.name, data, {
        jobId: id,
        attempts: options.attempts,
        backoff: { type: 'exponential', delay: BACKOFF_DELAY_MS },
        removeOnComplete: false,
        removeOnFail: false,
      });
      tally.added += 1;
    }
    renderer.log(
      `Enqueued ${String(jobs.length)} models on ${redactRedisUrl(input.queueUrl)} (queue ${options.queueName}): ${String(tally.added)} new, ${String(tally.retried)} failed before and retried, ${String(tally.kept)} already there.` +
        (options.follow === true ? '' : ' Start workers with `gpux-convert worker --queue ...`; add --follow to wait for them.'),
    );
    if (options.follow !== true) return 0;
    return await followBatch(queue, jobs, input);
  } finally {
    await queue.close();
    await connection.quit().catch(() => undefined);
  }
}

/** Shows the jobs' progress until each has finished (completed, or failed for good), then writes the report. */
async function followBatch(queue: Queue<QueueJobData, QueueJobRecord>, jobs: ReadonlyArray<{ id: string; data: QueueJobData }>, input: EnqueueBatchInput): Promise<number> {
  const { renderer, signal, options } = input;
  const startedAt = Date.now();
  const records = new Map<string, QueueJobRecord>();
  const started = new Set<string>();
  const lastProgress = new Map<string, string>();
  renderer.handle({ type: 'batch-start', total: jobs.length, concurrency: 0 });
  while (records.size < jobs.length && !signal.aborted) {
    for (const [index, { id, data }] of jobs.entries()) {
      if (records.has(id)) continue;
      // The state first, then the job: a job read before it finished would lack its return value.
      const state = await queue.getJobState(id);
      const job = state === 'unknown' ? undefined : await queue.getJob(id);
      if (job !== undefined && (state === 'active' || state === 'completed' || state === 'failed') && !started.has(id)) {
        started.add(id);
        renderer.handle({ type: 'job-start', job: data.name, index, source: data.source });
      }
      if (job !== undefined && state === 'active') showProgress(renderer, data.name, job.progress as QueueJobProgress | undefined, lastProgress);
      const record = job === undefined ? undefined : finishedRecord(job, state, data);
      if (record !== undefined) {
        records.set(id, record);
        renderer.handle({ type: 'job-end', job: data.name, index, record, completed: records.size, total: jobs.length });
      }
    }
    if (records.size < jobs.length) await delay(FOLLOW_INTERVAL_MS, signal);
  }
  renderer.stop();
  const reportJobs: QueueJobRecord[] = jobs.map(({ id, data }) => records.get(id) ?? { name: data.name, source: data.source, status: 'not-started', durationMs: 0 });
  const report: BatchReport = {
    formatVersion: 1,
    createdAt: new Date().toISOString(),
    mode: 'redis',
    queue: { url: redactRedisUrl(input.queueUrl), name: options.queueName },
    durationMs: Date.now() - startedAt,
    counts: countBatchJobStatuses(reportJobs),
    jobs: reportJobs,
  };
  const reportPath = batchReportPath(options);
  await writeBatchReport(reportPath, report);
  printBatchOutcome(report, reportPath, Boolean(options.json));
  if (signal.aborted) renderer.log('Stopped following; the jobs stay on the queue and the workers go on. Run the same command again to follow them.');
  return batchExitCode(reportJobs, signal.aborted);
}

/** A finished job's record: the worker's return value, or the failure with its code. */
function finishedRecord(job: Job<QueueJobData, QueueJobRecord>, state: string, data: QueueJobData): QueueJobRecord | undefined {
  if (state === 'completed') {
    const record = job.returnvalue as BatchJobRecord | null;
    return record === null ? undefined : { ...record, attempts: job.attemptsMade };
  }
  if (state !== 'failed') return undefined;
  const progress = job.progress as QueueJobProgress | undefined;
  return {
    name: data.name,
    source: data.source,
    status: 'failed',
    error: parseFailureReason(job.failedReason),
    durationMs: job.finishedOn !== undefined && job.processedOn !== undefined ? job.finishedOn - job.processedOn : 0,
    attempts: job.attemptsMade,
    ...(typeof progress?.worker === 'string' ? { worker: progress.worker } : {}),
  };
}

/** Turns the progress a worker published into the renderer's events (only when it changed). */
function showProgress(renderer: BatchProgressRenderer, name: string, progress: QueueJobProgress | undefined, last: Map<string, string>): void {
  if (typeof progress !== 'object' || progress === null || typeof progress.phase !== 'string') return;
  const key = JSON.stringify(progress);
  if (last.get(name) === key) return;
  const previousPhase = last.has(name) ? (JSON.parse(last.get(name) as string) as QueueJobProgress).phase : undefined;
  last.set(name, key);
  const [phase, label] = progress.phase.split(':') as [string, string | undefined];
  const conversionPhase = phase as 'export';
  if (previousPhase !== progress.phase) renderer.handle({ type: 'job-progress', job: name, event: { type: 'phase-start', phase: conversionPhase, label } });
  if (typeof progress.percent === 'number') renderer.handle({ type: 'job-progress', job: name, event: { type: 'percent', phase: conversionPhase, percent: progress.percent, label: progress.detail } });
  else if (typeof progress.detail === 'string') renderer.handle({ type: 'job-progress', job: name, event: { type: 'message', phase: conversionPhase, level: 'info', message: progress.detail } });
}

function delay(milliseconds: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, milliseconds);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
