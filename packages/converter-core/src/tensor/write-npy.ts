import { open, rename, rm } from 'node:fs/promises';
import { shapeElementCount, type HostTensor } from './host-tensor';
import { buildNpyPreamble } from './npy-format';

/**
 * Writes a {@link HostTensor} as a numpy `.npy` file (format 1.0, or 2.0 for very long headers)
 * that `numpy.load` reads. The file appears atomically: it is written as `path.incomplete`, then
 * renamed.
 *
 * @throws RangeError when the shape does not match the number of elements.
 * @example
 * ```ts
 * await writeNpy('/tmp/ids.npy', { dtype: 'int64', shape: [1, 3], data: BigInt64Array.from([1n, 2n, 3n]) });
 * ```
 */
export async function writeNpy(filePath: string, tensor: HostTensor): Promise<void> {
  const expected = shapeElementCount(tensor.shape);
  if (expected !== tensor.data.length) {
    throw new RangeError(
      `Parameter "tensor" has shape [${tensor.shape.join(', ')}] (${expected} elements) but ${tensor.data.length} elements of data.`,
    );
  }
  const preamble = buildNpyPreamble(tensor.dtype, tensor.shape);
  const body = new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
  const temporaryPath = `${filePath}.incomplete`;
  const handle = await open(temporaryPath, 'w');
  try {
    await handle.writeFile(preamble);
    await handle.writeFile(body);
    await handle.close();
    await rename(temporaryPath, filePath);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(temporaryPath, { force: true });
    throw error;
  }
}
