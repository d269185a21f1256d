import type { ConversionPhase, ProgressEvent } from '../progress-event';
import { processPeakRssBytes, startPeakRssSampler } from './peak-rss-sampler';

/** Time and memory of one phase, as kept in the conversion report. */
export interface PhaseRecord {
  phase: ConversionPhase;
  label?: string;
  durationMs: number;
  /** Peak resident memory of this Node process during this phase (sampled every 100 ms, see `startPeakRssSampler`), in bytes. */
  peakRssBytes: number;
  /** Peak resident memory of this Node process since it started, at the end of this phase (`process.resourceUsage().maxRSS`), in bytes. */
  processPeakRssBytes: number;
  /** Peak resident memory of the Python child of this phase (the export's), when one ran, in bytes. */
  childPeakRssBytes?: number;
}

/**
 * Wraps a phase: yields `phase-start`, delegates to `body` while sampling this process's resident
 * memory, yields `phase-end` with the duration and the phase's peak RSS, and appends a
 * {@link PhaseRecord}. `childPeakRss` reads the Python child's peak from the body's result.
 */
export async function* runPhase<Result>(
  records: PhaseRecord[],
  phase: ConversionPhase,
  label: string | undefined,
  body: () => AsyncGenerator<ProgressEvent, Result, void>,
  childPeakRss?: (result: Result) => number | undefined,
): AsyncGenerator<ProgressEvent, Result, void> {
  const started = performance.now();
  const sampler = startPeakRssSampler();
  let result: Result;
  try {
    yield label === undefined ? { type: 'phase-start', phase } : { type: 'phase-start', phase, label };
    result = yield* body();
  } finally {
    sampler.stop();
  }
  const durationMs = Math.round(performance.now() - started);
  const peakRssBytes = sampler.stop();
  const record: PhaseRecord = { phase, durationMs, peakRssBytes, processPeakRssBytes: processPeakRssBytes() };
  if (label !== undefined) record.label = label;
  const childPeak = childPeakRss?.(result);
  if (childPeak !== undefined) record.childPeakRssBytes = childPeak;
  records.push(record);
  yield { type: 'phase-end', phase, ...(label === undefined ? {} : { label }), durationMs, peakRssBytes };
  return result;
}
