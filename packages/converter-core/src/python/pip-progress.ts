import type { ProgressEvent } from '../progress-event';
import { canonicalPackageName } from './python-requirements';

/** pip's size units (decimal, as pip prints them). */
const pipUnits: Record<string, number> = { bytes: 1, kB: 1e3, MB: 1e6, GB: 1e9 };

/** `1.2 GB`, `516 kB`: decimal units, as pip prints them. */
function formatDecimalBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${Math.round(bytes / 1e3)} kB`;
}

/**
 * Turns pip's plain output (`--progress-bar off`) into progress events: `Collecting`,
 * `Downloading (size)` (with the bytes downloaded so far), `Installing collected packages` and
 * `Successfully installed` become messages, and the share of the direct requirements collected so far becomes `percent`.
 */
export class PipProgress {
  private readonly pending: Set<string>;
  private readonly total: number;
  private downloadedBytes = 0;
  private downloads = 0;

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
    if ((match = /^Downloading \S+(?:\s+\((\d+(?:\.\d+)?)\s*(bytes|[kMG]B)\))?/.exec(line)) !== null) {
      const size = match[1] === undefined ? undefined : Number(match[1]) * (pipUnits[match[2] ?? 'bytes'] ?? 1);
      if (size === undefined) return [this.message('info', line)];
      this.downloadedBytes += size;
      this.downloads += 1;
      return [this.message('info', `${line}; ${formatDecimalBytes(this.downloadedBytes)} in ${this.downloads} download${this.downloads === 1 ? '' : 's'} so far`)];
    }
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
