import { readFile } from 'node:fs/promises';

/** Samples a process's peak resident set size (`VmHWM` in /proc/<pid>/status) while it runs. Linux only; elsewhere it reports nothing. */
export class PeakRssSampler {
  private peak: number | undefined;
  private stopped = false;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pid: number | undefined,
    intervalMs = 250,
  ) {
    if (pid === undefined || process.platform !== 'linux') return;
    this.timer = setInterval(() => void this.sample(), intervalMs);
    this.timer.unref();
    void this.sample();
  }

  /** The highest value seen, in bytes. */
  get peakRssBytes(): number | undefined {
    return this.peak;
  }

  /** Stops sampling (call once the process has exited: its pid may then be reused). */
  stop(): void {
    clearInterval(this.timer);
    this.stopped = true;
  }

  private async sample(): Promise<void> {
    if (this.pid === undefined || this.stopped) return;
    let status: string;
    try {
      status = await readFile(`/proc/${this.pid}/status`, 'utf8');
    } catch {
      return;
    }
    const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
    if (match?.[1] === undefined || this.stopped) return;
    const bytes = Number(match[1]) * 1024;
    if (this.peak === undefined || bytes > this.peak) this.peak = bytes;
  }
}
