/** What one progress line shows. */
export interface ProgressLine {
  /** The phase (and sub-phase), e.g. `export:pytorch`. */
  label: string;
  /** Percent done (0..100); `undefined` when the step has no measurable progress: a spinner is shown. */
  percent: number | undefined;
  /** Time since the step started, in milliseconds. */
  elapsedMs: number;
  /** The latest message or byte count; dropped first when the line is too wide. */
  detail?: string;
  /** Terminal columns; the line is at most `width - 1` characters (the last column stays free). */
  width: number;
  /**
   * Pads the label to this many characters so the gauges of stacked lines align.
   * @default the label's own length
   */
  labelWidth?: number;
  /**
   * Characters of the bar between the `|`s.
   * @default 24 on a terminal of 100 columns or more, 10 below
   */
  barSize?: number;
}

const SPINNER_FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const MINIMUM_LABEL = 6;
const READABLE_LABEL = 16;
const MINIMUM_DETAIL = 8;
const MINIMUM_BAR = 6;
const SHORT_BAR = 10;
/** From this many columns on, bars are 24 characters long; below, 10. */
const WIDE_TERMINAL = 100;

/** `12.3s` under a minute, `4m05s` above. */
export function formatElapsed(elapsedMs: number): string {
  const seconds = Math.max(0, elapsedMs) / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const whole = Math.floor(seconds);
  return `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, '0')}s`;
}

/** Shortens text to `length` characters, ending with `…` when something was cut. */
export function truncateText(text: string, length: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  if (length <= 0) return '';
  return line.length > length ? line.slice(0, length - 1) + '…' : line;
}

function gauge(percent: number | undefined, elapsedMs: number, barSize: number): string {
  if (percent === undefined) {
    // A spinner in the bar's place: time moves, no percent is claimed.
    const frame = SPINNER_FRAMES[Math.floor(elapsedMs / 100) % SPINNER_FRAMES.length] ?? '-';
    return `${frame}${' '.repeat(barSize === 0 ? 3 : barSize + 6)}`;
  }
  const clamped = Math.min(100, Math.max(0, percent));
  const shown = `${String(Math.floor(clamped)).padStart(3)}%`;
  if (barSize === 0) return shown;
  const filled = Math.round((clamped / 100) * barSize);
  return `|${'█'.repeat(filled)}${'░'.repeat(barSize - filled)}| ${shown}`;
}

/**
 * Formats one progress line that fits `width`: ` label |████░░░░|  42% | 12.3s | detail`. When the
 * terminal is too narrow, the label's alignment padding goes first, then the bar shortens to keep a
 * few characters of the detail, then the detail and the label are cut, then the bar goes; the
 * percent and the elapsed time always stay.
 */
export function formatProgressLine(line: ProgressLine): string {
  const maximum = Math.max(1, line.width - 1);
  const elapsed = formatElapsed(line.elapsedMs);
  const detail = (line.detail ?? '').replace(/\s+/g, ' ').trim();
  const fullLabelWidth = line.label.length;
  let barSize = line.barSize ?? (line.width >= WIDE_TERMINAL ? 24 : SHORT_BAR);
  const numbersWidth = () => gauge(line.percent, line.elapsedMs, barSize).length + 3 + elapsed.length;
  // What is left for the label once the numbers are placed (` label gauge | time`).
  const labelRoom = () => maximum - 2 - numbersWidth();
  // Too narrow: cut the label, shrink the bar to keep a readable label, then drop the bar (the percent stays).
  const readableLabel = Math.min(fullLabelWidth, READABLE_LABEL);
  if (labelRoom() < readableLabel) barSize = Math.max(MINIMUM_BAR, barSize - (readableLabel - labelRoom()));
  if (labelRoom() < Math.min(fullLabelWidth, MINIMUM_LABEL)) barSize = 0;
  // A few characters of the detail (`done`, the current step) are worth more than a long bar.
  const wantedDetail = detail === '' ? 0 : 3 + Math.min(MINIMUM_DETAIL, detail.length);
  const detailDeficit = wantedDetail - (labelRoom() - fullLabelWidth);
  if (detail !== '' && barSize > SHORT_BAR && detailDeficit > 0) barSize = Math.max(SHORT_BAR, barSize - detailDeficit);
  const detailFits = detail !== '' && labelRoom() - readableLabel >= wantedDetail;
  const labelWidth = Math.min(fullLabelWidth, detailFits ? Math.max(readableLabel, labelRoom() - wantedDetail) : labelRoom());
  const label = truncateText(line.label, Math.max(1, labelWidth));
  const numbers = `${gauge(line.percent, line.elapsedMs, barSize)} | ${elapsed}`;
  let room = maximum - (2 + label.length + numbers.length);
  const shownDetail = detail !== '' && room - 3 >= Math.min(MINIMUM_DETAIL, detail.length) ? truncateText(detail, room - 3) : '';
  if (shownDetail !== '') room -= 3 + shownDetail.length;
  // Padding (to align the gauges of stacked lines) takes only the room the detail leaves.
  const padding = ' '.repeat(Math.max(0, Math.min((line.labelWidth ?? 0) - label.length, room)));
  const text = ` ${label}${padding} ${numbers}${shownDetail === '' ? '' : ` | ${shownDetail}`}`;
  return text.length > maximum ? text.slice(0, maximum) : text;
}
