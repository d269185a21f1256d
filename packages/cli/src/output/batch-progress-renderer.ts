import type { BatchEvent, BatchJobRecord, ProgressEvent } from '@gpux/converter-core';
import cliProgress from 'cli-progress';
import { formatElapsed, formatProgressLine } from './format-progress-line';
import { terminalColumns, type ProgressMode, type RendererStreams } from './progress-renderer';

/** A job's live line: where it is (phase, percent, latest detail). */
interface JobLine {
  name: string;
  startedAt: number;
  phase: string;
  percent: number | undefined;
  detail: string;
  bar?: cliProgress.SingleBar;
}

/** What the format function of a live bar reads. */
interface Payload {
  job?: JobLine;
  overall?: true;
}

/** Width of the job-name column. */
const LABEL_WIDTH = 24;
const CLEAR_LINE = '\u001b[2K';

/**
 * Shows a batch: on a terminal, an overall bar (jobs done of all, running, failed) and one live line
 * per running job (its phase, percent and latest message); each finished job prints one line above
 * them. In plain mode, a line per job start and end; with `--json`, every event as a JSON line.
 * Events come from `convertBatchIter` or, with `--queue --follow`, from the Redis queue.
 */
export class BatchProgressRenderer {
  private readonly multiBar: cliProgress.MultiBar | undefined;
  private readonly jobs = new Map<string, JobLine>();
  private overall: cliProgress.SingleBar | undefined;
  private total = 0;
  private completed = 0;
  private failed = 0;
  private readonly startedAt = Date.now();
  private stopped = false;

  constructor(
    readonly mode: ProgressMode,
    private readonly streams: RendererStreams = { stdout: process.stdout, stderr: process.stderr },
  ) {
    if (mode === 'tty') {
      this.multiBar = new cliProgress.MultiBar({
        stream: streams.stderr,
        format: (_options: unknown, _params: unknown, payload: Payload) => this.formatLive(payload),
        hideCursor: true,
        clearOnComplete: false,
        stopOnComplete: false,
        forceRedraw: true,
        fps: 5,
      });
    }
  }

  handle(event: BatchEvent): void {
    if (this.stopped) return;
    if (this.mode === 'json') {
      this.streams.stdout.write(JSON.stringify(event) + '\n');
      return;
    }
    switch (event.type) {
      case 'batch-start':
        this.total = event.total;
        if (this.multiBar !== undefined) this.overall = this.multiBar.create(100, 0, { overall: true } satisfies Payload);
        else this.write(`batch: ${String(event.total)} models${event.concurrency > 0 ? `, ${String(event.concurrency)} at a time` : ' on the queue'}`);
        break;
      case 'job-start': {
        const line: JobLine = { name: event.job, startedAt: Date.now(), phase: 'queued', percent: undefined, detail: event.source };
        this.jobs.set(event.job, line);
        if (this.multiBar !== undefined) line.bar = this.multiBar.create(100, 0, { job: line } satisfies Payload);
        else this.write(`[${event.job}] started (${event.source})`);
        break;
      }
      case 'job-progress':
        this.onJobProgress(event.job, event.event);
        break;
      case 'job-end':
        this.completed = event.completed;
        this.total = event.total;
        if (event.record.status === 'failed') this.failed += 1;
        this.finishJob(event.job, event.record);
        break;
    }
  }

  /** Prints a line above the live area (or plainly). */
  log(line: string): void {
    if (this.mode === 'json') return;
    this.write(line);
  }

  /** Ends the live display; later lines print plainly. Calls after the first do nothing. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.multiBar === undefined) return;
    this.multiBar.update();
    this.multiBar.stop();
  }

  private onJobProgress(name: string, event: ProgressEvent): void {
    const line = this.jobs.get(name);
    if (line === undefined) return;
    if (event.type === 'phase-start') {
      line.phase = event.label === undefined ? event.phase : `${event.phase}:${event.label}`;
      line.percent = undefined;
      line.detail = '';
      if (this.multiBar === undefined && this.mode === 'plain') this.write(`[${name}] ${line.phase}`);
    } else if (event.type === 'percent') {
      line.percent = event.percent;
      if (event.label !== undefined) line.detail = event.label;
    } else if (event.type === 'bytes-progress' && event.totalBytes) {
      line.percent = (event.transferredBytes / event.totalBytes) * 100;
    } else if (event.type === 'message' && event.level !== 'debug') {
      if (event.level === 'warning') this.write(`  [${name}] warning: ${event.message}`);
      else line.detail = event.message;
    }
  }

  private finishJob(name: string, record: BatchJobRecord): void {
    const line = this.jobs.get(name);
    this.jobs.delete(name);
    if (line?.bar !== undefined) this.multiBar?.remove(line.bar);
    this.write(`${statusMark(record)} ${describeRecord(record)} (${String(this.completed)}/${String(this.total)})`);
  }

  private write(text: string): void {
    if (this.multiBar !== undefined && !this.stopped) this.multiBar.log(`${CLEAR_LINE}${text}\n`);
    else this.streams.stderr.write(text + '\n');
  }

  private formatLive(payload: Payload): string {
    const width = this.width();
    if (payload.overall === true) {
      const percent = this.total === 0 ? 0 : (this.completed / this.total) * 100;
      const detail = `${String(this.completed)}/${String(this.total)} done, ${String(this.jobs.size)} running${this.failed > 0 ? `, ${String(this.failed)} failed` : ''}`;
      return formatProgressLine({ label: 'batch', percent, elapsedMs: Date.now() - this.startedAt, detail, width, labelWidth: LABEL_WIDTH });
    }
    const job = payload.job;
    if (job === undefined) return '';
    return formatProgressLine({ label: job.name, percent: job.percent, elapsedMs: Date.now() - job.startedAt, detail: [job.phase, job.detail].filter(Boolean).join(' '), width, labelWidth: LABEL_WIDTH });
  }

  private width(): number {
    return terminalColumns(this.streams.stderr);
  }
}

function statusMark(record: BatchJobRecord): string {
  if (record.status === 'converted' || record.status === 'cached') return record.validation?.some((entry) => entry.status === 'failed') ? '!' : '✓';
  return record.status === 'failed' ? '✗' : '-';
}

/** One line about a finished job: `bert converted in 12.3s` or `x failed [CODE]: message`. */
export function describeRecord(record: BatchJobRecord): string {
  const time = formatElapsed(record.durationMs);
  if (record.status === 'failed' || record.status === 'cancelled') {
    return `${record.name} ${record.status} after ${time}${record.error === undefined ? '' : ` [${record.error.code}]: ${firstLine(record.error.message)}`}`;
  }
  const failedVariants = (record.validation ?? []).filter((entry) => entry.status === 'failed').map((entry) => entry.variant);
  return `${record.name} ${record.status} in ${time}${failedVariants.length > 0 ? `; variants left out: ${failedVariants.join(', ')}` : ''}`;
}

function firstLine(text: string): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}
