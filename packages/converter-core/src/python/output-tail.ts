/**
 * Keeps the last `limit` characters of a stream of text (a child's stderr), so error messages can
 * quote the end of a long log without holding all of it.
 */
export class OutputTail {
  private text = '';
  private dropped = false;

  constructor(private readonly limit = 8192) {}

  append(chunk: string): void {
    this.text += chunk;
    if (this.text.length > this.limit * 2) this.trim();
  }

  /** The kept text; starts with `…` when older output was dropped. */
  toString(): string {
    this.trim();
    return (this.dropped ? '…' : '') + this.text;
  }

  private trim(): void {
    if (this.text.length <= this.limit) return;
    this.text = this.text.slice(this.text.length - this.limit);
    this.dropped = true;
  }
}
