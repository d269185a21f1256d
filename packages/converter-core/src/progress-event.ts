/**
 * Typed progress events of every long operation in converter-core and the packages built on it.
 * Operations are `AsyncGenerator<ProgressEvent, Result>`; awaitable wrappers take an `onProgress`.
 */

/** The phases of a conversion, in order. */
export type ConversionPhase =
  | 'setup'
  | 'resolve'
  | 'download'
  | 'detect'
  | 'export'
  | 'validate'
  | 'optimize'
  | 'quantize'
  | 'write';

/** A progress event. */
export type ProgressEvent =
  | { type: 'phase-start'; phase: ConversionPhase; label?: string }
  | { type: 'phase-end'; phase: ConversionPhase; label?: string; durationMs: number; peakRssBytes?: number }
  | { type: 'bytes-progress'; phase: ConversionPhase; label?: string; transferredBytes: number; totalBytes?: number }
  | { type: 'percent'; phase: ConversionPhase; label?: string; percent: number }
  | { type: 'message'; phase?: ConversionPhase; level: 'debug' | 'info' | 'warning'; message: string };

/** Receives progress events. */
export type ProgressCallback = (event: ProgressEvent) => void;

/**
 * Drains an event generator into an awaitable, forwarding events to `onProgress`.
 *
 * @example
 * ```ts
 * const result = await drainEvents(convertIter(options), (event) => console.log(event.type));
 * ```
 */
export async function drainEvents<Event, Result>(
  generator: AsyncGenerator<Event, Result, void>,
  onProgress?: (event: Event) => void,
): Promise<Result> {
  for (;;) {
    const step = await generator.next();
    if (step.done) return step.value;
    onProgress?.(step.value);
  }
}
