import { readFile } from 'node:fs/promises';

/** A tensor read from a `.npy` file. */
export interface NpyTensor {
  dtype: 'float32' | 'int64' | 'int32' | 'bool';
  shape: number[];
  data: Float32Array | BigInt64Array | Int32Array | Uint8Array;
}

const descriptors: Record<string, NpyTensor['dtype']> = { '<f4': 'float32', '<i8': 'int64', '<i4': 'int32', '|b1': 'bool' };

/** Reads a little-endian, C-order `.npy` file (format 1.x/2.x) written by numpy.save. Test helper. */
export async function readNpy(filePath: string): Promise<NpyTensor> {
  const bytes = await readFile(filePath);
  if (bytes.toString('latin1', 1, 6) !== 'NUMPY') throw new Error(`${filePath} is not a .npy file`);
  const major = bytes[6];
  const headerLength = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const headerStart = major === 1 ? 10 : 12;
  const header = bytes.toString('latin1', headerStart, headerStart + headerLength);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1] ?? '';
  const dtype = descriptors[descr];
  if (dtype === undefined || /'fortran_order':\s*True/.test(header)) throw new Error(`${filePath}: unsupported .npy header ${header}`);
  const shape = (/'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map(Number);
  const body = bytes.subarray(headerStart + headerLength);
  const copy = new Uint8Array(body).buffer;
  const data =
    dtype === 'float32' ? new Float32Array(copy) : dtype === 'int64' ? new BigInt64Array(copy) : dtype === 'int32' ? new Int32Array(copy) : new Uint8Array(copy);
  return { dtype, shape, data };
}
