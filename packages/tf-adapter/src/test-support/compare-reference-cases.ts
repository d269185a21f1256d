// Test support: runs an exported ONNX file in onnxruntime-node on the adapter's reference inputs
// and measures how far its outputs are from TensorFlow's (read from the .npy files).
import { readFile } from 'node:fs/promises';

import type { ReferenceCase } from '@gpux/converter-core';
import * as ort from 'onnxruntime-node';

type NumericArray = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;

interface NpyArray {
  dtype: string;
  shape: number[];
  data: NumericArray;
}

const NPY_TYPES: Record<string, { dtype: string; size: number; make: (buffer: ArrayBuffer) => NumericArray }> = {
  '<f4': { dtype: 'float32', size: 4, make: (buffer) => new Float32Array(buffer) },
  '<f8': { dtype: 'float64', size: 8, make: (buffer) => new Float64Array(buffer) },
  '<i4': { dtype: 'int32', size: 4, make: (buffer) => new Int32Array(buffer) },
  '<i8': { dtype: 'int64', size: 8, make: (buffer) => new BigInt64Array(buffer) },
  '|b1': { dtype: 'bool', size: 1, make: (buffer) => new Uint8Array(buffer) },
};

/** Reads a little-endian, C-ordered .npy file (format 1.0/2.0). */
export async function readNpyFile(filePath: string): Promise<NpyArray> {
  const bytes = await readFile(filePath);
  const major = bytes[6] ?? 1;
  const headerLength = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const headerStart = major === 1 ? 10 : 12;
  const header = bytes.subarray(headerStart, headerStart + headerLength).toString('latin1');
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1] ?? '';
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? '';
  if (header.includes("'fortran_order': True")) throw new Error(`${filePath}: Fortran order is not supported`);
  const type = NPY_TYPES[descr];
  if (type === undefined) throw new Error(`${filePath}: unsupported npy dtype ${descr}`);
  const shape = shapeText.split(',').map((part) => part.trim()).filter((part) => part !== '').map(Number);
  const count = shape.reduce((product, dim) => product * dim, 1);
  const start = headerStart + headerLength;
  const copy = bytes.buffer.slice(bytes.byteOffset + start, bytes.byteOffset + start + count * type.size);
  return { dtype: type.dtype, shape, data: type.make(copy) };
}

/** The largest absolute difference of one output in one case. */
export interface OutputDifference {
  label: string;
  output: string;
  shape: number[];
  maxAbsDiff: number;
  /** Largest |reference| value, to put maxAbsDiff in scale. */
  maxAbsReference: number;
}

/** Runs every case through onnxruntime-node and returns per-output differences. */
export async function compareReferenceCases(modelPath: string, cases: readonly ReferenceCase[]): Promise<OutputDifference[]> {
  const session = await ort.InferenceSession.create(modelPath, { graphOptimizationLevel: 'disabled' });
  const differences: OutputDifference[] = [];
  try {
    for (const referenceCase of cases) {
      const feeds: Record<string, ort.Tensor> = {};
      for (const [name, file] of Object.entries(referenceCase.inputs)) {
        const array = await readNpyFile(file.path);
        feeds[name] = new ort.Tensor(array.dtype as 'float32', array.data as Float32Array, array.shape);
      }
      const results = await session.run(feeds);
      for (const [name, file] of Object.entries(referenceCase.outputs)) {
        const reference = await readNpyFile(file.path);
        const actual = results[name];
        if (actual === undefined) throw new Error(`ONNX model has no output ${name}`);
        if (actual.dims.join(',') !== reference.shape.join(',')) {
          throw new Error(`${referenceCase.label} ${name}: ONNX shape [${actual.dims.join(',')}] != reference [${reference.shape.join(',')}]`);
        }
        const values = actual.data as Float32Array;
        let maxAbsDiff = 0;
        let maxAbsReference = 0;
        for (let index = 0; index < values.length; index += 1) {
          const expected = Number(reference.data[index]);
          const difference = Math.abs(Number(values[index]) - expected);
          maxAbsDiff = Number.isNaN(difference) ? Number.POSITIVE_INFINITY : Math.max(maxAbsDiff, difference);
          maxAbsReference = Math.max(maxAbsReference, Math.abs(expected));
        }
        differences.push({ label: referenceCase.label, output: name, shape: reference.shape, maxAbsDiff, maxAbsReference });
      }
    }
  } finally {
    await session.release();
  }
  return differences;
}
