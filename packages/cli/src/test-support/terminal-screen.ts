import { Writable } from 'node:stream';
import { Terminal } from '@xterm/headless';

/**
 * Replays bytes written to a terminal through a terminal emulator (xterm.js, headless) and returns
 * the visible screen, one string per row (trailing blanks trimmed). What a user would see at the end.
 */
export function renderScreen(output: string | Uint8Array, columns: number, rows: number): Promise<string[]> {
  const terminal = new Terminal({ cols: columns, rows, allowProposedApi: true, scrollback: 1000 });
  return new Promise((resolve) => {
    terminal.write(output, () => {
      const buffer = terminal.buffer.active;
      const screen: string[] = [];
      for (let row = 0; row < rows; row += 1) screen.push(buffer.getLine(buffer.viewportY + row)?.translateToString(true) ?? '');
      terminal.dispose();
      resolve(screen);
    });
  });
}

/** A writable stream that says it is a terminal of the given width and keeps what was written (with `\n` as `\r\n`, as a pty's line discipline does). */
export class FakeTerminalStream extends Writable {
  readonly isTTY = true;
  output = '';

  constructor(public columns: number) {
    super({ decodeStrings: false });
  }

  override _write(chunk: string | Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.output += String(chunk).replace(/\r?\n/g, '\r\n');
    callback();
  }
}
