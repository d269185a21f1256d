import type { ProgressEvent } from '@gpux/converter-core';
import cliProgress from 'cli-progress';

/** How progress is shown: bars on a terminal, plain lines otherwise, JSON lines with `--json`. */
export type ProgressMode = 'tty' | 'plain' | 'json';

/** Where the renderer writes. */
export interface RendererStreams {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

interface PhaseBar {
  bar: cliProgress.SingleBar;
  startedAt: number;
  timer: NodeJS.Timeout;
}

/**
 * Renders progress events of any long gpux-convert operation.
 *
 * - `tty`: one live line per phase (cli-progress) with a bar where the percent or byte total is
 *   known, the elapsed time, and the latest message.
 * - `plain`: a line per phase start/end, per message, and per 10% step (for logs and CI).
 * - `json`: every event as one JSON object per line on stdout (`{"type":"progress","event":{...}}`).
 */
export class ProgressRenderer {
  private readonly multiBar: cliProgress.MultiBar | undefined;
  private readonly bars = new Map<string, PhaseBar>();
  private readonly lastPlainPercent = new Map<string, number>();

  constructor(
    readonly mode: ProgressMode,
    private readonly streams: RendererStreams = { stdout: process.stdout, stderr: process.stderr },
  ) {
    if (mode === 'tty') {
      this.multiBar = new cliProgress.MultiBar(
        {
          stream: streams.stderr,
          format: ' {phase} |{bar}| {percentage}% | {elapsed}s | {detail}',
          hideCursor: true,
          clearOnComplete: false,
          stopOnComplete: false,
          barsize: 24,
          forceRedraw: true,
        },
        cliProgress.Presets.shades_classic,
      );
    }
  }

  /** Chooses the mode from `--json` and whether stderr is a terminal. */
  static chooseMode(json: boolean, stderr: { isTTY?: boolean } = process.stderr): ProgressMode {
    if (json) return 'json';
    return stderr.isTTY ? 'tty' : 'plain';
  }

  handle(event: ProgressEvent): void {
    if (this.mode === 'json') {
      this.streams.stdout.write(JSON.stringify({ type: 'progress', event }) + '\n');
      return;
    }
    if (this.mode === 'plain') {
      this.handlePlain(event);
      return;
    }
    this.handleTty(event);
  }

  /** Prints a line (a message that is not a progress event) without breaking the bars. */
  log(line: string): void {
    if (this.mode === 'json') return;
    if (this.multiBar) this.multiBar.log(line + '\n');
    else this.streams.stderr.write(line + '\n');
  }

  /** Stops every live bar; call once when the operation ends, whatever its outcome. */
  stop(): void {
    for (const phaseBar of this.bars.values()) clearInterval(phaseBar.timer);
    this.bars.clear();
    this.multiBar?.stop();
  }

  private handlePlain(event: ProgressEvent): void {
    const write = (line: string) => this.streams.stderr.write(line + '\n');
    const key = phaseKey(event);
    switch (event.type) {
      case 'phase-start':
        write(`[${key}] started`);
        break;
      case 'phase-end':
        write(`[${key}] done in ${(event.durationMs / 1000).toFixed(1)}s${event.peakRssBytes ? `, peak RSS ${formatBytes(event.peakRssBytes)}` : ''}`);
        break;
      case 'message':
        if (event.level !== 'debug') write(`[${key}] ${event.message}`);
        break;
      case 'percent':
      case 'bytes-progress': {
        const percent = eventPercent(event);
        if (percent === undefined) break;
        const step = Math.floor(percent / 10) * 10;
        if ((this.lastPlainPercent.get(key) ?? -1) >= step) break;
        this.lastPlainPercent.set(key, step);
        write(`[${key}] ${step}%${event.type === 'bytes-progress' ? ` (${formatBytes(event.transferredBytes)}${event.totalBytes ? ` of ${formatBytes(event.totalBytes)}` : ''})` : ''}`);
        break;
      }
    }
  }

  private handleTty(event: ProgressEvent): void {
    const key = phaseKey(event);
    if (event.type === 'message') {
      if (event.level === 'debug') return;
      const phaseBar = this.bars.get(key);
      if (phaseBar) phaseBar.bar.update({ detail: truncate(event.message, 60) });
      else this.log(`  ${event.message}`);
      return;
    }
    const phaseBar = this.bars.get(key) ?? this.startBar(key);
    if (event.type === 'phase-end') {
      clearInterval(phaseBar.timer);
      phaseBar.bar.update(100, { elapsed: (event.durationMs / 1000).toFixed(1), detail: event.peakRssBytes ? `done, peak RSS ${formatBytes(event.peakRssBytes)}` : 'done' });
      phaseBar.bar.stop();
      this.bars.delete(key);
      return;
    }
    const percent = eventPercent(event);
    if (percent !== undefined) phaseBar.bar.update(Math.min(100, percent), event.type === 'bytes-progress' ? { detail: `${formatBytes(event.transferredBytes)}${event.totalBytes ? ` / ${formatBytes(event.totalBytes)}` : ''}` } : {});
  }

  private startBar(key: string): PhaseBar {
    const bar = this.multiBar!.create(100, 0, { phase: key.padEnd(10), elapsed: '0.0', detail: '' });
    const startedAt = Date.now();
    const timer = setInterval(() => bar.update({ elapsed: ((Date.now() - startedAt) / 1000).toFixed(1) }), 250);
    timer.unref();
    const phaseBar = { bar, startedAt, timer };
    this.bars.set(key, phaseBar);
    return phaseBar;
  }
}

function phaseKey(event: ProgressEvent): string {
  const phase = 'phase' in event && event.phase ? event.phase : 'gpux';
  const label = 'label' in event && event.label ? `:${event.label}` : '';
  return phase + label;
}

function eventPercent(event: ProgressEvent): number | undefined {
  if (event.type === 'percent') return event.percent;
  if (event.type === 'bytes-progress' && event.totalBytes) return (event.transferredBytes / event.totalBytes) * 100;
  return undefined;
}

function truncate(text: string, length: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > length ? line.slice(0, length - 1) + '…' : line;
}

/** Formats a byte count with binary units (`1.5 GiB`). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value.toFixed(0) : value.toFixed(1)} ${units[unit]}`;
}
