import { readFile } from 'node:fs/promises';
import { ConversionError } from '../conversion-error';
import { allocateTensorData, shapeElementCount, TENSOR_ELEMENT_BYTES, type HostTensor } from './host-tensor';
import { parseNpyHeader } from './npy-format';

/**
 * Reads a numpy `.npy` file (format 1.0, 2.0 or 3.0) into a {@link HostTensor}. The elements are
 * copied into a freshly allocated, aligned typed array.
 *
 * Supported dtypes: little-endian float16/32/64, int8/16/32/64, uint8/16/32/64 and bool, in C order.
 *
 * @throws ConversionError `INVALID_MODEL_FILE` for Fortran-ordered, object, structured, big-endian
 *   or truncated files.
 * @example
 * ```ts
 * const logits = await readNpy('/tmp/case0/logits.npy');
 * console.log(logits.dtype, logits.shape, logits.data.length);
 * ```
 */
export async function readNpy(filePath: string): Promise<HostTensor> {
  if (typeof filePath !== 'string' || filePath === '') {
    throw new TypeError(`Parameter "filePath" must be a non-empty string, received ${JSON.stringify(filePath)}.`);
  }
  const bytes = await readFile(filePath);
  return decodeNpy(bytes, filePath);
}

/**
 * Decodes the bytes of a `.npy` file. `filePath` is only used in error messages.
 *
 * @throws ConversionError `INVALID_MODEL_FILE` as {@link readNpy}.
 */
export function decodeNpy(bytes: Uint8Array, filePath = '<buffer>'): HostTensor {
  const header = parseNpyHeader(bytes, filePath);
  const elementCount = shapeElementCount(header.shape);
  const byteLength = elementCount * (TENSOR_ELEMENT_BYTES[header.dtype] as number);
  if (header.dataOffset + byteLength > bytes.length) {
    throw new ConversionError(
      'INVALID_MODEL_FILE',
      `${filePath} is truncated: shape [${header.shape.join(', ')}] of ${header.dtype} needs ${byteLength} bytes of data, the file has ${bytes.length - header.dataOffset}. Write it again with numpy.save().`,
      { details: { path: filePath, expectedBytes: byteLength, actualBytes: bytes.length - header.dataOffset } },
    );
  }
  const data = allocateTensorData(header.dtype, elementCount);
  new Uint8Array(data.buffer, data.byteOffset, byteLength).set(bytes.subarray(header.dataOffset, header.dataOffset + byteLength));
  if (header.dtype === 'bool') {
    const flags = data as Uint8Array;
    for (let index = 0; index < flags.length; index += 1) flags[index] = flags[index] === 0 ? 0 : 1;
  }
  return { dtype: header.dtype, shape: header.shape, data };
}
