import type { TensorElementType } from '../adapter';
import { ConversionError } from '../conversion-error';

/**
 * Facts about numpy's `.npy` format, version 1.0 to 3.0:
 * https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
 */
export const NPY_MAGIC = Uint8Array.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);

/** numpy `descr` (without byte order) for each element type this package reads and writes. */
const descriptorByType: Readonly<Partial<Record<TensorElementType, string>>> = {
  float32: 'f4',
  float16: 'f2',
  float64: 'f8',
  int8: 'i1',
  uint8: 'u1',
  int16: 'i2',
  uint16: 'u2',
  int32: 'i4',
  uint32: 'u4',
  int64: 'i8',
  uint64: 'u8',
  bool: 'b1',
};

/** The parsed header dictionary of a `.npy` file. */
export interface NpyHeader {
  dtype: TensorElementType;
  shape: number[];
  /** Byte offset of the first element. */
  dataOffset: number;
}

/** The numpy descriptor (`<f4`, `|b1`) of an element type. */
export function npyDescriptor(dtype: TensorElementType): string {
  const code = descriptorByType[dtype];
  if (code === undefined) {
    throw new TypeError(`Parameter "tensor.dtype" ${JSON.stringify(dtype)} cannot be written to .npy; use a numeric or bool type.`);
  }
  return (code.endsWith('1') ? '|' : '<') + code;
}

/**
 * Parses the magic, version and header of a `.npy` file.
 *
 * @throws ConversionError `INVALID_MODEL_FILE` for a file that is not `.npy`, a big-endian,
 *   structured, object or Fortran-ordered array.
 */
export function parseNpyHeader(bytes: Uint8Array, filePath: string): NpyHeader {
  const fail = (reason: string): never => {
    throw new ConversionError('INVALID_MODEL_FILE', `${filePath} is not a readable .npy tensor: ${reason}. Save it with numpy.save() from a C-contiguous numeric array.`, {
      details: { path: filePath, reason },
    });
  };
  if (bytes.length < 10 || NPY_MAGIC.some((value, index) => bytes[index] !== value)) fail('the numpy magic bytes are missing');
  const major = bytes[6] as number;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLength: number;
  let headerStart: number;
  if (major === 1) {
    headerLength = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) fail('the header is truncated');
    headerLength = view.getUint32(8, true);
    headerStart = 12;
  } else {
    return fail(`format version ${major} is not supported (1, 2 and 3 are)`);
  }
  if (headerStart + headerLength > bytes.length) fail('the header is truncated');
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, headerStart + headerLength));

  const descriptor = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(header)?.[1];
  if (descriptor === undefined) return fail('its dtype is structured or missing (only plain numeric dtypes are supported)');
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(header)?.[1];
  if (fortran === undefined) fail('the header has no fortran_order');
  if (fortran === 'True') fail('the array is in Fortran order (save numpy.ascontiguousarray(array) instead)');
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (shapeText === undefined) return fail('the header has no shape');
  const shape = shapeText
    .split(',')
    .map((part) => part.trim().replace(/L$/, ''))
    .filter((part) => part !== '')
    .map((part) => {
      const value = Number(part);
      if (!Number.isSafeInteger(value) || value < 0) fail(`the shape entry ${JSON.stringify(part)} is not a size`);
      return value;
    });

  const byteOrder = descriptor[0];
  const code = descriptor.slice(1);
  if (byteOrder === '>' && !code.endsWith('1')) fail(`its dtype ${descriptor} is big-endian`);
  if (byteOrder !== '<' && byteOrder !== '|' && byteOrder !== '=' && byteOrder !== '>') fail(`its dtype ${descriptor} is not understood`);
  const dtype = (Object.keys(descriptorByType) as TensorElementType[]).find((type) => descriptorByType[type] === code);
  if (dtype === undefined) fail(`its dtype ${descriptor} is not supported (object, string and complex arrays cannot be tensors here)`);
  return { dtype: dtype as TensorElementType, shape, dataOffset: headerStart + headerLength };
}

/**
 * Builds the preamble (magic, version, length and header dict padded to 64 bytes) of a `.npy` file.
 */
export function buildNpyPreamble(dtype: TensorElementType, shape: readonly number[]): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dictionary = `{'descr': '${npyDescriptor(dtype)}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const encoded = new TextEncoder().encode(dictionary);
  const useVersion2 = encoded.length + 11 > 0xffff;
  const prefixLength = useVersion2 ? 12 : 10;
  const total = Math.ceil((prefixLength + encoded.length + 1) / 64) * 64;
  const headerLength = total - prefixLength;
  const preamble = new Uint8Array(total).fill(0x20);
  preamble.set(NPY_MAGIC, 0);
  preamble[6] = useVersion2 ? 2 : 1;
  preamble[7] = 0;
  const view = new DataView(preamble.buffer);
  if (useVersion2) view.setUint32(8, headerLength, true);
  else view.setUint16(8, headerLength, true);
  preamble.set(encoded, prefixLength);
  preamble[total - 1] = 0x0a;
  return preamble;
}
