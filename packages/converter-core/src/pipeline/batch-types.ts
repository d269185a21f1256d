import type { ModelSource } from '../adapter';
import type { ProgressEvent } from '../progress-event';
import type { PythonWorkerPoolOptions, PythonWorkerPoolStats } from '../python/python-worker-pool';
import type { PythonScriptRunner } from '../python/run-python-script';
import type { ConvertOptions } from './convert-options';

/** Options of a batch that every job shares; a job's own fields override them. */
export type BatchDefaults = Omit<ConvertOptions, 'source' | 'signal' | 'pythonWorkers' | 'outputDirectory' | 'overwrite'>;

/** One conversion of a batch: a source and the options in which it differs from the batch's defaults. */
export interface BatchJob extends Partial<BatchDefaults> {
  source: string | ModelSource;
  /** Name in events and the report, and the job's folder under `outputRoot`. @default from the source (`org/name` -> `org--name`, `./bert.onnx` -> `bert`) */
  name?: string;
  /** Write this job's result here instead of `<outputRoot>/<name>`. */
  outputDirectory?: string;
}

/** Options of {@link convertBatchIter}. */
export interface ConvertBatchOptions {
  jobs: readonly BatchJob[];
  /** What every job shares: adapters, model managers, the cache, variants... */
  defaults: BatchDefaults;
  /** Each job writes `<outputRoot>/<name>`; without it (and without a job's `outputDirectory`) results stay in `defaults.cache`. */
  outputRoot?: string;
  /**
   * Replace a job's non-empty output directory. A directory that holds an earlier gpux-convert result
   * (a `conversion-report.json`) is replaced without it, so a batch can be run again. @default false
   */
  overwrite?: boolean;
  /** Conversions that run at once (each on its own warm Python worker). @default 1 */
  concurrency?: number;
  /**
   * The warm Python workers: pool options (a pool is made and closed by the batch), or a runner the
   * caller owns (a `PythonWorkerPool` shared across batches; it is not closed). @default a pool with `maxWorkers: concurrency`
   */
  workers?: PythonWorkerPoolOptions | PythonScriptRunner;
  /** Aborting stops the running conversions (their Python workers are killed, nothing is written) and starts no more. */
  signal?: AbortSignal;
}

/** How a job ended. `not-started`: the batch was cancelled before it began. */
export type BatchJobStatus = 'converted' | 'cached' | 'failed' | 'cancelled' | 'not-started';

/** One model file of a job's output, for the report. */
export interface BatchJobFile {
  path: string;
  variant?: string;
  bytes: number;
}

/** What the batch report says about one job. */
export interface BatchJobRecord {
  name: string;
  /** The source as given (a hub id or path). */
  source: string;
  status: BatchJobStatus;
  /** For `failed` and `cancelled`: the error code (`INVALID_MODEL_FILE`, `NETWORK_ERROR`, ...) and message. */
  error?: { code: string; message: string };
  durationMs: number;
  /** Where the result is (the output directory, else the cache entry). */
  directory?: string;
  framework?: string;
  task?: string;
  /** The model files written, with their sizes. */
  files?: BatchJobFile[];
  /** Sum of the sizes of every file written (models, external data, configs). */
  totalBytes?: number;
  /** Validation per model file: `passed`, `failed` (a variant left out) or `skipped`. */
  validation?: Array<{ path: string; variant: string; status: 'passed' | 'failed' | 'skipped'; code?: string; reason?: string }>;
  /** Peak resident memory of the export's Python worker during this job, in bytes. */
  exportPeakRssBytes?: number;
}

/** Progress of a batch. Job events name the job; `job-progress` wraps the job's own conversion event. */
export type BatchEvent =
  | { type: 'batch-start'; total: number; concurrency: number }
  | { type: 'job-start'; job: string; index: number; source: string }
  | { type: 'job-progress'; job: string; event: ProgressEvent }
  | { type: 'job-end'; job: string; index: number; record: BatchJobRecord; completed: number; total: number };

/** What a batch returns. */
export interface BatchResult {
  jobs: BatchJobRecord[];
  counts: Record<BatchJobStatus, number>;
  durationMs: number;
  /** True when the batch was cancelled (some jobs are `cancelled` or `not-started`). */
  cancelled: boolean;
  /** What the warm Python workers did (absent when the caller passed its own runner). */
  workers?: PythonWorkerPoolStats;
}
