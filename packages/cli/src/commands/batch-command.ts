import path from 'node:path';
import { convertBatchIter, type BatchDefaults, type BatchJob, type BatchResult } from '@gpux/converter-core';
import { ConversionCache } from '@gpux/model-manager';
import type { Command } from 'commander';
import { BATCH_REPORT_FILE, batchExitCode, batchReportPath, printBatchOutcome, writeBatchReport, type BatchReport } from '../batch/batch-report';
import { mergeJobOptions } from '../batch/batch-job-options';
import { readBatchManifest, type BatchManifest } from '../batch/read-batch-manifest';
import { createAdapters } from '../conversion/create-adapters';
import { addModelConversionOptions, modelConversionOptions, pickModelConversionOptions, type ModelConversionCliOptions } from '../conversion/model-conversion-options';
import { createModelManagers } from '../create-model-managers';
import { BatchProgressRenderer } from '../output/batch-progress-renderer';
import { ProgressRenderer } from '../output/progress-renderer';
import { parsePositiveInteger } from '../parse-option-values';
import { runCommand } from '../run-command';

/** Options of `batch` (and, for the conversion part, of `worker`). */
export interface BatchCliOptions extends ModelConversionCliOptions {
  output?: string;
  report?: string;
  concurrency: number;
  workerMaxRequests?: number;
  workerMaxRss?: number;
  force?: boolean;
  json?: boolean;
  cacheDir?: string;
  hubUrl?: string;
  token?: string;
  offline?: boolean;
  python?: string;
  queue?: string;
  queueName: string;
  follow?: boolean;
  attempts: number;
}

/** The options every worker process of a batch shares: registries, cache, interpreter. */
export function addRuntimeOptions(command: Command): Command {
  return command
    .option('--force', 'ignore cached results and convert every model again')
    .option('--cache-dir <dir>', 'conversion cache directory (default: $GPUX_CACHE_DIR/conversions)')
    .option('--hub-url <url>', 'Hugging Face hub endpoint (default: $HF_ENDPOINT or https://huggingface.co)')
    .option('--token <token>', 'hub access token (default: $HF_TOKEN or the huggingface-cli token file)')
    .option('--offline', 'use only the local hub cache (also HF_HUB_OFFLINE=1)')
    .option('--python <path>', 'run exports with this interpreter instead of the managed environments (also $GPUX_PYTHON)')
    .option('--worker-max-requests <n>', 'retire a warm Python worker after this many models (default 25)', parsePositiveInteger)
    .option('--worker-max-rss <mib>', 'retire a warm Python worker whose memory is above this many MiB after a model (default 4096)', parsePositiveInteger);
}

/** The options a batch's jobs share: command-line flags (except `validate` left at its default) over the manifest's defaults. */
export function batchJobDefaults(manifest: BatchManifest, options: BatchCliOptions): ModelConversionCliOptions {
  return mergeJobOptions(manifest.defaults, pickModelConversionOptions(options));
}

/** What every conversion of this process shares: adapters, registries, the cache, the interpreter. */
export function sharedConvertDefaults(options: Pick<BatchCliOptions, 'cacheDir' | 'hubUrl' | 'token' | 'offline' | 'python' | 'trustRemoteCode' | 'force'>): BatchDefaults {
  return {
    adapters: createAdapters(),
    modelManagers: createModelManagers(options),
    cache: new ConversionCache({ directory: options.cacheDir }),
    force: options.force === true,
    ...(options.python === undefined ? {} : { python: { pythonExecutable: options.python } }),
  };
}

/** Pool options from `--worker-max-requests` / `--worker-max-rss`. */
export function workerPoolOptions(options: Pick<BatchCliOptions, 'workerMaxRequests' | 'workerMaxRss'>): { maxRequestsPerWorker?: number; maxWorkerRssBytes?: number } {
  return {
    maxRequestsPerWorker: options.workerMaxRequests,
    maxWorkerRssBytes: options.workerMaxRss === undefined ? undefined : options.workerMaxRss * 1024 * 1024,
  };
}

/** `gpux-convert batch <file|->`: convert many models, here (warm workers) or through a Redis queue. */
export function registerBatchCommand(program: Command): void {
  const command = program
    .command('batch')
    .description('Convert many models: a file (or - for stdin) with one source a line (hub id or path, optional per-model options), or a YAML/JSON manifest.')
    .argument('<file>', 'the list of models: lines such as "org/name --optimize O2 --quantize int8 --name my-model", or a .yaml/.json manifest; - reads stdin')
    .option('-o, --output <dir>', 'output root: each model goes to <dir>/<name> (default: results stay in the conversion cache)')
    .option('--report <file>', `where to write ${BATCH_REPORT_FILE} (default: <output>/${BATCH_REPORT_FILE}, else ./${BATCH_REPORT_FILE})`)
    .option('--concurrency <n>', 'conversions at once, each on its own warm Python worker', parsePositiveInteger, 1)
    .option('--json', 'one JSON event per line on stdout, the result object last')
    .option('--queue <redis-url>', 'enqueue the models on a BullMQ queue in Redis (redis://host:port) for `gpux-convert worker` processes instead of converting here')
    .option('--queue-name <name>', 'the BullMQ queue\'s name', 'gpux-convert')
    .option('--follow', 'with --queue: wait for the workers, show their progress, then write the report')
    .option('--attempts <n>', 'with --queue: tries per model for transient failures (network, out of memory, a killed worker)', parsePositiveInteger, 3);
  addModelConversionOptions(command);
  addRuntimeOptions(command);
  command.action(async (file: string, options: BatchCliOptions) => {
    const json = Boolean(options.json);
    const renderer = new BatchProgressRenderer(ProgressRenderer.chooseMode(json));
    await runCommand(renderer, json, async ({ signal }) => {
      const manifest = await readBatchManifest(file);
      const defaults = batchJobDefaults(manifest, options);
      if (options.queue !== undefined) {
        const { enqueueBatch } = await import('../queue/enqueue-batch');
        return enqueueBatch({ manifest, defaults, options, renderer, signal, queueUrl: options.queue });
      }
      if (options.follow === true) throw new TypeError('--follow needs --queue <redis-url> (an embedded batch always shows its progress).');
      const shared = sharedConvertDefaults(options);
      const jobs: BatchJob[] = manifest.entries.map((entry) => ({
        source: entry.source,
        name: entry.name,
        ...modelConversionOptions(mergeJobOptions(defaults, entry.options)),
      }));
      const batch = convertBatchIter({
        jobs,
        defaults: shared,
        outputRoot: options.output === undefined ? undefined : path.resolve(options.output),
        concurrency: options.concurrency,
        workers: { maxWorkers: options.concurrency, ...workerPoolOptions(options) },
        signal,
      });
      let result: BatchResult;
      for (;;) {
        const step = await batch.next();
        if (step.done) {
          result = step.value;
          break;
        }
        renderer.handle(step.value);
      }
      renderer.stop();
      const report: BatchReport = {
        formatVersion: 1,
        createdAt: new Date().toISOString(),
        mode: 'embedded',
        concurrency: options.concurrency,
        durationMs: result.durationMs,
        counts: result.counts,
        ...(result.workers === undefined ? {} : { workers: { ...result.workers } }),
        jobs: result.jobs,
      };
      const reportPath = batchReportPath(options);
      await writeBatchReport(reportPath, report);
      printBatchOutcome(report, reportPath, json);
      return batchExitCode(result.jobs, result.cancelled);
    });
  });
}
