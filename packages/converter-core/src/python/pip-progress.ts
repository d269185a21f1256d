import type { ProgressEvent } from '../progress-event';
import { canonicalPackageName } from './python-requirements';

/**
 * Turns pip's plain output (`--progress-bar off`) into progress events: `Collecting`,
 * `Downloading (size)`, `Installing collected packages` and `Successfully installed` become
 * messages, and the share of the direct requirements collected so far becomes `percent`.
 */
export class PipProgress {
  private readonly pending: Set<string>;
  private readonly total: number;

  constructor(
    directRequirementNames: readonly string[],
    private readonly label: string,
  ) {
    this.pending = new Set(directRequirementNames.map(canonicalPackageName));
    this.total = Math.max(1, this.pending.size);
  }

  /** The events for one line of pip's stdout. */
  parse(rawLine: string): ProgressEvent[] {
    const line = rawLine.trim();
    let match: RegExpExecArray | null;
    if ((match = /^Collecting (\S+)/.exec(line)) !== null) {
      const requirement = match[1] ?? '';
      const events: ProgressEvent[] = [this.message('info', line)];
      const name = canonicalPackageName(requirement.split(/[<>=!~;[\s(@]/)[0] ?? requirement);
      if (this.pending.delete(name)) events.push(this.percent(5 + (70 * (this.total - this.pending.size)) / this.total));
      return events;
    }
    if (/^Downloading \S+/.test(line)) return [this.message('info', line)];
    if (/^(Using cached|Requirement already satisfied|Obtaining|Processing) /.test(line)) return [this.message('debug', line)];
    if (/^Installing collected packages:/.test(line)) return [this.message('info', line), this.percent(80)];
    if (/^Successfully installed /.test(line)) return [this.message('info', line), this.percent(95)];
    if (/^(ERROR|WARNING):/.test(line)) return [this.message('warning', line)];
    return [];
  }

  private message(level: 'debug' | 'info' | 'warning', message: string): ProgressEvent {
    return { type: 'message', phase: 'setup', level, message };
  }

  private percent(percent: number): ProgressEvent {
    return { type: 'percent', phase: 'setup', label: this.label, percent: Math.round(percent * 10) / 10 };
  }
}
