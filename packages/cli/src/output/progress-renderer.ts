import type { ProgressEvent } from '@gpux/converter-core';
import cliProgress from 'cli-progress';
import { formatProgressLine } from './format-progress-line';

/** How progress is shown: bars on a terminal, plain lines otherwise, JSON lines with `--json`. */
export type ProgressMode = 'tty' | 'plain' | 'json';

/** Where the renderer writes. */
export interface RendererStreams {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

/** One live line: a phase (or sub-phase) that has started and not yet ended. */
interface LiveBar {
  key: string;
  phase: string;
  label: string;
  bar: cliProgress.SingleBar;
  startedAt: number;
  percent: number | undefined;
  detail: string;
  /** Opened by a progress event rather than a `phase-start`: it ends with its phase or at 100%. */
  implicit: boolean;
}

/** What the format function of a live bar reads. */
interface LiveBarPayload {
  line?: LiveBar;
}

/**
 * Renders progress events of any long gpux-convert operation.
 *
 * - `tty`: a live line per running phase (cli-progress) with a bar where the percent or byte total
 *   is known, a spinner where it is not, the elapsed time, and the latest message, fitted to the
 *   terminal's width. When a phase ends its line is printed once more at 100% with its duration and
 *   leaves the live area, so only running work moves and finished work scrolls up like a log.
 *   Progress events labelled with a step of a running phase (`loading torch`, `batch_size=1`) update
 *   that phase's line instead of opening one of their own.
 * - `plain`: a line per phase start/end, per message, and per 10% step (for logs and CI).
 * - `json`: every event as one JSON object per line on stdout (`{"type":"progress","event":{...}}`).
 *
 * {@link ProgressRenderer.stop} may be called more than once; only the first call does anything.
 */
export class ProgressRenderer {
  private readonly multiBar: cliProgress.MultiBar | undefined;
  private readonly bars = new Map<string, LiveBar>();
  private readonly lastPlainPercent = new Map<string, number>();
  /** Plain mode: the phases (keys) started and not yet ended, oldest first. */
  private readonly openPlainKeys: string[] = [];
  private stopped = false;

  constructor(
    readonly mode: ProgressMode,
    private readonly streams: RendererStreams = { stdout: process.stdout, stderr: process.stderr },
  ) {
    if (mode === 'tty') {
      this.multiBar = new cliProgress.MultiBar({
        stream: streams.stderr,
        format: (_options: unknown, _params: unknown, payload: LiveBarPayload) => (payload.line ? this.formatLive(payload.line, this.width()) : ''),
        hideCursor: true,
        // The live area is cleared when the last bar leaves it: finished lines were printed above it.
        clearOnComplete: true,
        stopOnComplete: false,
        forceRedraw: true,
        fps: 10,
      });
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

  /** Prints a line (a message that is not a progress event) above the live bars, or plainly when none run. */
  log(line: string): void {
    if (this.mode === 'json') return;
    if (this.multiBar && this.bars.size > 0) this.multiBar.log(`${CLEAR_LINE}${line}\n`);
    else this.streams.stderr.write(line + '\n');
  }

  /**
   * Shows a step that has no measurable progress (a spinner with the elapsed time) until the
   * returned function is called, e.g. timing a model on onnxruntime-node.
   */
  startStep(label: string): () => void {
    if (this.mode === 'json' || this.stopped) return () => undefined;
    if (this.mode === 'plain') {
      const startedAt = Date.now();
      this.streams.stderr.write(`[${label}] started\n`);
      return () => this.streams.stderr.write(`[${label}] done in ${((Date.now() - startedAt) / 1000).toFixed(1)}s\n`);
    }
    const key = `step\u0000${label}`;
    const line = this.openBar(key, label, false);
    return () => {
      if (this.bars.get(key) === line) this.finishBar(line, Date.now() - line.startedAt, 'done');
    };
  }

  /**
   * Ends the live display: a bar still running is printed once more as it stood (so a failure
   * shows where it stopped), the cursor comes back, and later {@link log} calls print plain lines.
   * Call it when the operation ends, before printing results; calls after the first do nothing.
   */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (!this.multiBar) return;
    for (const line of [...this.bars.values()]) {
      this.multiBar.log(`${CLEAR_LINE}${this.formatLive(line, this.width())}\n`);
      this.removeBar(line);
    }
  }

  private handlePlain(event: ProgressEvent): void {
    const write = (line: string) => this.streams.stderr.write(line + '\n');
    let key = phaseKey(event);
    // As on a terminal, a labelled step of a running phase (`loading torch`) reports under that phase.
    let step = '';
    if ((event.type === 'percent' || event.type === 'bytes-progress') && event.label && !this.openPlainKeys.includes(key)) {
      const running = this.openPlainKeys.findLast((open) => open === event.phase || open.startsWith(`${event.phase}:`));
      if (running !== undefined) {
        key = running;
        step = ` (${event.label})`;
      }
    }
    switch (event.type) {
      case 'phase-start':
        this.openPlainKeys.push(key);
        write(`[${key}] started`);
        break;
      case 'phase-end':
        if (this.openPlainKeys.includes(key)) this.openPlainKeys.splice(this.openPlainKeys.lastIndexOf(key), 1);
        this.lastPlainPercent.delete(key);
        write(`[${key}] done in ${(event.durationMs / 1000).toFixed(1)}s${event.peakRssBytes ? `, peak RSS ${formatBytes(event.peakRssBytes)}` : ''}`);
        break;
      case 'message':
        if (event.level !== 'debug') write(`[${key}] ${event.message}`);
        break;
      case 'percent':
      case 'bytes-progress': {
        const percent = eventPercent(event);
        if (percent === undefined) break;
        const tens = Math.floor(percent / 10) * 10;
        if ((this.lastPlainPercent.get(key) ?? -1) >= tens) break;
        this.lastPlainPercent.set(key, tens);
        write(`[${key}] ${tens}%${event.type === 'bytes-progress' ? ` (${formatBytes(event.transferredBytes)}${event.totalBytes ? ` of ${formatBytes(event.totalBytes)}` : ''})` : step}`);
        break;
      }
    }
  }

  private handleTty(event: ProgressEvent): void {
    if (this.stopped) return;
    const key = phaseKey(event);
    const phase = 'phase' in event && event.phase ? event.phase : 'gpux';
    if (event.type === 'message') {
      if (event.level === 'debug') return;
      const line = this.innermostBar(phase);
      // Warnings stay on screen; other messages are the running phase's latest detail.
      if (line && event.level !== 'warning') line.detail = event.message;
      else this.log(event.level === 'warning' ? `  warning: ${event.message}` : `  ${event.message}`);
      return;
    }
    if (event.type === 'phase-start') {
      const existing = this.bars.get(key);
      if (existing) existing.implicit = false;
      else this.openBar(key, key, false, phase);
      return;
    }
    if (event.type === 'phase-end') {
      // Steps of this phase that never ended on their own end with it.
      for (const line of [...this.bars.values()]) if (line.implicit && line.phase === phase && line.key !== key) this.removeBar(line);
      const line = this.bars.get(key) ?? this.openBar(key, key, false, phase);
      this.finishBar(line, event.durationMs, event.peakRssBytes ? `done, peak RSS ${formatBytes(event.peakRssBytes)}` : 'done');
      return;
    }
    const percent = eventPercent(event);
    const exact = this.bars.get(key);
    const line = exact ?? this.innermostBar(phase) ?? this.openBar(key, key, true, phase);
    if (event.type === 'bytes-progress') {
      line.detail = `${formatBytes(event.transferredBytes)}${event.totalBytes ? ` / ${formatBytes(event.totalBytes)}` : ''}${exact === undefined && event.label ? ` ${event.label}` : ''}`;
    } else if (exact === undefined && line.key !== key && event.label) {
      line.detail = event.label;
    }
    if (percent !== undefined) line.percent = Math.min(100, Math.max(0, percent));
    if (line.implicit && line.percent === 100) this.finishBar(line, Date.now() - line.startedAt, 'done');
  }

  /** The most recently opened live bar of a phase (the step that events of the phase belong to). */
  private innermostBar(phase: string): LiveBar | undefined {
    let found: LiveBar | undefined;
    for (const line of this.bars.values()) if (line.phase === phase) found = line;
    return found;
  }

  private openBar(key: string, label: string, implicit: boolean, phase = key): LiveBar {
    const payload: LiveBarPayload = {};
    const bar = this.multiBar!.create(100, 0, payload);
    const line: LiveBar = { key, phase, label, bar, startedAt: Date.now(), percent: undefined, detail: '', implicit };
    payload.line = line;
    this.bars.set(key, line);
    return line;
  }

  /** Prints the bar's final line (100%, its duration) above the live area and removes it from there. */
  private finishBar(line: LiveBar, durationMs: number, detail: string): void {
    const finished: LiveBar = { ...line, percent: 100, detail };
    this.multiBar!.log(`${CLEAR_LINE}${this.formatLive(finished, this.width(), durationMs)}\n`);
    this.removeBar(line);
  }

  private removeBar(line: LiveBar): void {
    this.bars.delete(line.key);
    this.multiBar!.remove(line.bar);
    // With no bar left the live area goes (cursor shown again); the next bar starts a new one.
    if (this.bars.size === 0) this.multiBar!.stop();
  }

  private formatLive(line: LiveBar, width: number, elapsedMs = Date.now() - line.startedAt): string {
    // One label column for every line, live or finished, so the gauges line up as the log scrolls.
    return formatProgressLine({ label: line.label, percent: line.percent, elapsedMs, detail: line.detail, width, labelWidth: LABEL_WIDTH });
  }

  private width(): number {
    return terminalColumns(this.streams.stderr);
  }
}

/** A terminal's columns (`COLUMNS`, else 80, when the stream does not say). */
export function terminalColumns(stream: NodeJS.WritableStream): number {
  const columns = (stream as { columns?: number }).columns;
  if (typeof columns === 'number' && columns > 0) return columns;
  const fromEnvironment = Number(process.env['COLUMNS']);
  return Number.isInteger(fromEnvironment) && fromEnvironment > 0 ? fromEnvironment : 80;
}

/** The label column's width; longer labels push their gauge right (or are cut on a narrow terminal). */
const LABEL_WIDTH = 24;

/** Erases the whole line before a printed line overwrites a line of the live area. */
const CLEAR_LINE = '\u001b[2K';

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
