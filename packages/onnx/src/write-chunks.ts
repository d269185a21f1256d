/** Streams encoded chunks (in-memory views and file ranges) into a file. */
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import type { OutputChunk } from './encode-message';

const COPY_BLOCK_BYTES = 8 * 1024 * 1024;

async function writeAll(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.byteLength) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.byteLength - done);
    done += bytesWritten;
  }
}

const PROGRESS_STEP_BYTES = 16 * 1024 * 1024;

/**
 * Writes `chunks` to `filePath` (created or truncated), yielding the running total of bytes
 * written about every 16 MiB and at the end, and checking `signal` between blocks.
 */
export async function* writeChunks(filePath: string, chunks: OutputChunk[], signal?: AbortSignal): AsyncGenerator<number, number> {
  const handle = await open(filePath, 'w');
  let written = 0;
  let reported = 0;
  let copyBuffer: Uint8Array | undefined;
  try {
    for (const chunk of chunks) {
      signal?.throwIfAborted();
      if (chunk instanceof Uint8Array) {
        await writeAll(handle, chunk);
        written += chunk.byteLength;
      } else {
        copyBuffer ??= new Uint8Array(COPY_BLOCK_BYTES);
        const source = await open(chunk.path, 'r');
        try {
          let copied = 0;
          while (copied < chunk.length) {
            signal?.throwIfAborted();
            const want = Math.min(copyBuffer.byteLength, chunk.length - copied);
            const { bytesRead } = await source.read(copyBuffer, 0, want, chunk.offset + copied);
            if (bytesRead === 0) throw new Error(`${chunk.path} ended before byte ${chunk.offset + chunk.length}`);
            await writeAll(handle, copyBuffer.subarray(0, bytesRead));
            copied += bytesRead;
            written += bytesRead;
            if (written - reported >= PROGRESS_STEP_BYTES) yield (reported = written);
          }
        } finally {
          await source.close();
        }
      }
      if (written - reported >= PROGRESS_STEP_BYTES) yield (reported = written);
    }
    if (written !== reported) yield written;
  } finally {
    await handle.close();
  }
  return written;
}
