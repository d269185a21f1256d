/** Forwards a generator's events to a stage, minus its own phase boundaries (the pipeline reports those). */
import type { ProgressEvent } from '@gpux/converter-core';

/** Yields the events of `generator` except phase-start/phase-end, and returns its result. */
export async function* forwardEvents<Result>(generator: AsyncGenerator<ProgressEvent, Result, void>): AsyncGenerator<ProgressEvent, Result, void> {
  for (;;) {
    const step = await generator.next();
    if (step.done === true) return step.value;
    if (step.value.type !== 'phase-start' && step.value.type !== 'phase-end') yield step.value;
  }
}
