import type { ProgressEvent } from '@gpux/converter-core';
import type { ProgressRenderer } from './output/progress-renderer';

/** Runs an operation's event generator to its end, showing each event, and returns its result. */
export async function drainWithRenderer<Result>(generator: AsyncGenerator<ProgressEvent, Result, void>, renderer: ProgressRenderer): Promise<Result> {
  for (;;) {
    const step = await generator.next();
    if (step.done) return step.value;
    renderer.handle(step.value);
  }
}

/** Writes the final `{"type":"result",...}` line of `--json` output. */
export function writeJsonResult(result: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify({ type: 'result', ...result }) + '\n');
}
