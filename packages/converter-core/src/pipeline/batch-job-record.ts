import path from 'node:path';
import type { ModelSource } from '../adapter';
import type { BatchJobRecord, BatchJobStatus } from './batch-types';
import type { ConversionResult } from './convert-options';

/**
 * A job name from its source, safe as a folder name: `org/name` -> `org--name`, `./models/bert.onnx`
 * -> `bert`, `org/name@v2` -> `org--name@v2`.
 *
 * @example
 * ```ts
 * batchJobName('sentence-transformers/all-MiniLM-L6-v2'); // 'sentence-transformers--all-MiniLM-L6-v2'
 * ```
 */
export function batchJobName(source: string | ModelSource): string {
  const text = typeof source === 'string' ? source : source.id ?? source.path;
  const local = text.startsWith('.') || text.startsWith('/') || text.startsWith('~') || /^[A-Za-z]:[\\/]/.test(text);
  const base = local ? path.basename(text).replace(/\.(onnx|pt2?|keras|h5|pb|tflite|json|bin|safetensors)$/i, '') : text.replace(/^hf:/, '').split('/').join('--');
  const safe = base.replace(/[^A-Za-z0-9._@-]+/g, '-').replace(/^[.-]+/, '');
  return safe === '' ? 'model' : safe;
}

/** Names for every job: its own, else from its source; repeats get `-2`, `-3`... */
export function uniqueBatchJobNames(jobs: ReadonlyArray<{ name?: string; source: string | ModelSource }>): string[] {
  const seen = new Map<string, number>();
  return jobs.map((job) => {
    const base = job.name ?? batchJobName(job.source);
    const count = (seen.get(base) ?? 0) + 1;
    seen.set(base, count);
    return count === 1 ? base : `${base}-${String(count)}`;
  });
}

/** The source as the report shows it. */
export function describeBatchSource(source: string | ModelSource): string {
  return typeof source === 'string' ? source : source.id ?? source.path;
}

/** The code a failure is reported with: ours (ConversionError, RegistryError...), else INTERNAL_ERROR. */
export function failureCode(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && /^[A-Z][A-Z0-9_]+$/.test(code)) return code;
  if (error instanceof TypeError || error instanceof RangeError) return 'USAGE_ERROR';
  return 'INTERNAL_ERROR';
}

/**
 * The report record of a finished job: from its conversion result, or from the error it failed with
 * (`cancelled` for CANCELLED, else `failed`).
 */
export function batchJobRecord(name: string, source: string | ModelSource, durationMs: number, outcome: { result: ConversionResult } | { error: unknown }): BatchJobRecord {
  const base = { name, source: describeBatchSource(source), durationMs: Math.round(durationMs) };
  if ('error' in outcome) {
    const code = failureCode(outcome.error);
    const status: BatchJobStatus = code === 'CANCELLED' ? 'cancelled' : 'failed';
    const message = outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
    return { ...base, status, error: { code, message } };
  }
  const { result } = outcome;
  const report = result.report;
  const record: BatchJobRecord = {
    ...base,
    status: result.cached ? 'cached' : 'converted',
    directory: result.directory,
    framework: report.framework,
    task: report.task,
    files: report.artifacts
      .filter((artifact) => artifact.kind === 'model')
      .map((artifact) => ({ path: artifact.path, ...(artifact.variant === undefined ? {} : { variant: artifact.variant }), bytes: artifact.bytes })),
    totalBytes: report.artifacts.reduce((sum, artifact) => sum + artifact.bytes, 0),
    validation: report.validation.map((entry) => ({
      path: entry.path,
      variant: entry.variant,
      status: entry.status,
      ...(entry.code === undefined ? {} : { code: entry.code }),
      ...(entry.reason === undefined ? {} : { reason: entry.reason }),
    })),
  };
  if (report.exportChildPeakRssBytes !== undefined) record.exportPeakRssBytes = report.exportChildPeakRssBytes;
  return record;
}

/** How many jobs ended in each status. */
export function countBatchJobStatuses(jobs: readonly BatchJobRecord[]): Record<BatchJobStatus, number> {
  const counts: Record<BatchJobStatus, number> = { converted: 0, cached: 0, failed: 0, cancelled: 0, 'not-started': 0 };
  for (const job of jobs) counts[job.status] += 1;
  return counts;
}
