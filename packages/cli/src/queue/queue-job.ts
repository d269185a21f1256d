import { createHash } from 'node:crypto';
import { ConversionError, failureCode, type BatchJobRecord } from '@gpux/converter-core';
import type { ModelConversionCliOptions } from '../conversion/model-conversion-options';

/** What a queued conversion carries: everything a worker on another machine needs to run it. */
export interface QueueJobData {
  formatVersion: 1;
  source: string;
  /** The job's name: its folder under the output root. */
  name: string;
  options: ModelConversionCliOptions;
  /** The shared output root given to `batch --queue -o` (absolute); else the worker's `--output`. */
  outputRoot?: string;
  force?: boolean;
}

/** What a worker publishes as the job's progress (`job.progress`), for `batch --follow`. */
export interface QueueJobProgress {
  phase: string;
  percent?: number;
  detail?: string;
  worker: string;
}

/** A queued job's record: the batch record plus how many tries it took and which worker finished it. */
export type QueueJobRecord = BatchJobRecord & { attempts?: number; worker?: string };

/** The job id: a hash of what the job converts, so enqueuing the same batch again finds its jobs instead of adding copies. */
export function queueJobId(data: QueueJobData): string {
  const { force: _force, ...identity } = data;
  return `gpux-${createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, 24)}`;
}

/** Codes worth another try on another attempt: the machine, not the model, was at fault. */
const transientCodes = new Set(['OUT_OF_MEMORY', 'TIMEOUT', 'NETWORK_ERROR', 'CANCELLED']);

/**
 * True for a failure another attempt may not meet: out of memory, a timeout, a network error, a
 * Python worker that was killed or crashed, or this worker shutting down. An invalid model, an
 * unsupported architecture or operator, or a failed validation are permanent.
 */
export function isTransientFailure(error: unknown): boolean {
  const code = failureCode(error);
  if (transientCodes.has(code)) return true;
  return ConversionError.isInstance(error) && error.details.workerCrashed === true;
}

/** The `CODE: message` form a failure is stored with in BullMQ's failedReason. */
export function failureReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return `${failureCode(error)}: ${message}`;
}

/** Reads the code and message back from a failedReason. */
export function parseFailureReason(reason: string | undefined): { code: string; message: string } {
  const match = /^([A-Z][A-Z0-9_]+): ([\s\S]*)$/.exec(reason ?? '');
  return match === null ? { code: 'INTERNAL_ERROR', message: reason ?? 'failed' } : { code: match[1] as string, message: match[2] as string };
}
