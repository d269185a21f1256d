import type { ConversionPhase, ProgressEvent } from '../progress-event';

/** Time and memory of one phase, as kept in the conversion report. */
export interface PhaseRecord {
  phase: ConversionPhase;
  label?: string;
  durationMs: number;
  /** Peak resident memory of this Node process so far (`process.resourceUsage().maxRSS`), in bytes. */
  peakRssBytes: number;
  /** Peak resident memory of the Python child of this phase, when one ran. */
  childPeakRssBytes?: number;
}

/** Peak resident set size of this process since it started, in bytes. */
export function processPeakRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}

/**
 * Wraps a phase: yields `phase-start`, delegates to `body`, yields `phase-end` with the duration and
 * peak RSS, and appends a {@link PhaseRecord}. `childPeakRss` reads the child's peak after the body.
 */
export async function* runPhase<Result>(
  records: PhaseRecord[],
  phase: ConversionPhase,
  label: string | undefined,
  body: () => AsyncGenerator<ProgressEvent, Result, void>,
  childPeakRss?: (result: Result) => number | undefined,
): AsyncGenerator<ProgressEvent, Result, void> {
  const started = performance.now();
  yield label === undefined ? { type: 'phase-start', phase } : { type: 'phase-start', phase, label };
  const result = yield* body();
  const durationMs = Math.round(performance.now() - started);
  const peakRssBytes = processPeakRssBytes();
  const record: PhaseRecord = { phase, durationMs, peakRssBytes };
  if (label !== undefined) record.label = label;
  const childPeak = childPeakRss?.(result);
  if (childPeak !== undefined) record.childPeakRssBytes = childPeak;
  records.push(record);
  yield { type: 'phase-end', phase, ...(label === undefined ? {} : { label }), durationMs, peakRssBytes };
  return result;
}
