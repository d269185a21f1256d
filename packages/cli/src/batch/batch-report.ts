import { rename, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { BatchJobRecord, BatchJobStatus } from '@gpux/converter-core';
import { EXIT_CODES } from '../exit-codes';
import { formatElapsed } from '../output/format-progress-line';
import { formatTable } from '../output/format-table';
import { formatBytes } from '../output/progress-renderer';

/** The file name of a batch's report. */
export const BATCH_REPORT_FILE = 'batch-report.json';

/** The content of `batch-report.json` (`formatVersion` 1). */
export interface BatchReport {
  formatVersion: 1;
  createdAt: string;
  /** `embedded`: this process ran the jobs; `redis`: workers on a BullMQ queue did. */
  mode: 'embedded' | 'redis';
  queue?: { url: string; name: string };
  concurrency?: number;
  durationMs: number;
  counts: Record<BatchJobStatus, number>;
  /** What the warm Python workers did (embedded mode). */
  workers?: Record<string, number>;
  jobs: Array<BatchJobRecord & { attempts?: number; worker?: string }>;
}

/** Writes the report atomically (a `.incomplete` file renamed into place). */
export async function writeBatchReport(file: string, report: BatchReport): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const partial = `${file}.incomplete`;
  await writeFile(partial, JSON.stringify(report, null, 2) + '\n');
  await rename(partial, file);
}

/** The summary table printed after a batch: one row per model. */
export function formatBatchTable(jobs: ReadonlyArray<BatchJobRecord & { attempts?: number }>): string {
  const withAttempts = jobs.some((job) => job.attempts !== undefined);
  const header = ['model', 'status', 'time', 'size', 'validation', 'error', ...(withAttempts ? ['attempts'] : [])];
  const rows = jobs.map((job) => {
    const validation = job.validation ?? [];
    const failed = validation.filter((entry) => entry.status === 'failed').length;
    const passed = validation.filter((entry) => entry.status === 'passed').length;
    const validationText = validation.length === 0 ? '-' : failed > 0 ? `${String(failed)} of ${String(validation.length)} failed` : passed === 0 ? 'skipped' : `${String(passed)} passed`;
    return [
      job.name,
      job.status,
      job.status === 'not-started' ? '-' : formatElapsed(job.durationMs),
      job.totalBytes === undefined ? '-' : formatBytes(job.totalBytes),
      validationText,
      job.error?.code ?? '-',
      ...(withAttempts ? [job.attempts === undefined ? '-' : String(job.attempts)] : []),
    ];
  });
  return formatTable(header, rows).join('\n');
}

/**
 * The exit code of a batch: 130 when cancelled, 13 when a model failed, 12 when every model
 * converted but variants of some failed validation, else 0.
 */
export function batchExitCode(jobs: readonly BatchJobRecord[], cancelled: boolean): number {
  if (cancelled) return EXIT_CODES.cancelled;
  if (jobs.some((job) => job.status === 'failed' || job.status === 'cancelled' || job.status === 'not-started')) return EXIT_CODES.batchFailed;
  if (jobs.some((job) => (job.validation ?? []).some((entry) => entry.status === 'failed'))) return EXIT_CODES.variantsFailed;
  return EXIT_CODES.success;
}

/** Where batch-report.json goes: `--report`, else the output root, else the current directory. */
export function batchReportPath(options: { report?: string; output?: string }): string {
  if (options.report !== undefined) return path.resolve(options.report);
  return path.resolve(options.output ?? '.', BATCH_REPORT_FILE);
}

/** Prints the summary table and where the report is (or the `--json` result line). */
export function printBatchOutcome(report: BatchReport, reportPath: string, json: boolean): void {
  if (json) {
    process.stdout.write(JSON.stringify({ type: 'result', reportPath, ...report }) + '\n');
    return;
  }
  const { counts } = report;
  const parts = [`${String(counts.converted)} converted`, `${String(counts.cached)} cached`, `${String(counts.failed)} failed`];
  if (counts.cancelled > 0) parts.push(`${String(counts.cancelled)} cancelled`);
  if (counts['not-started'] > 0) parts.push(`${String(counts['not-started'])} not started`);
  const lines = ['', formatBatchTable(report.jobs), '', `${parts.join(', ')} of ${String(report.jobs.length)} in ${(report.durationMs / 1000).toFixed(1)}s. Report: ${reportPath}`];
  process.stdout.write(lines.join('\n') + '\n');
  for (const job of report.jobs) {
    if (job.error !== undefined && job.status === 'failed') process.stderr.write(`error [${job.error.code}]: ${job.name}: ${job.error.message}\n`);
  }
}
