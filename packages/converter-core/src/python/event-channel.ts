/**
 * A one-consumer queue that turns pushed values (from child process callbacks) into an async
 * iterator an async generator can `for await` over.
 */
export class EventChannel<Value> {
  private readonly buffered: Value[] = [];
  private closed = false;
  private wake: (() => void) | undefined;

  push(value: Value): void {
    if (this.closed) return;
    this.buffered.push(value);
    this.notify();
  }

  /** Ends iteration once the buffered values are consumed. */
  close(): void {
    this.closed = true;
    this.notify();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Value, void, void> {
    for (;;) {
      const next = this.buffered.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      if (this.closed) return;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
