import type { ExportResult } from '@gpux/converter-core';
import * as ort from 'onnxruntime-node';

import { readNpy } from './read-npy';

/** The largest absolute difference per output of one reference case. */
export interface CaseDifference {
  modelName: string;
  label: string;
  maxAbsDiff: Record<string, number>;
  /** Fraction of last-axis rows whose argmax agrees, per float output. */
  argmaxAgreement: Record<string, number>;
}

/** Runs every reference case of `result` in onnxruntime-node and compares with PyTorch's outputs. Test helper. */
export async function compareReferenceCases(result: ExportResult): Promise<CaseDifference[]> {
  const differences: CaseDifference[] = [];
  for (const file of result.files) {
    const session = await ort.InferenceSession.create(file.path);
    try {
      for (const referenceCase of result.referenceCases.filter((entry) => entry.modelName === file.name)) {
        const feeds: Record<string, ort.Tensor> = {};
        for (const [name, tensorFile] of Object.entries(referenceCase.inputs)) {
          const tensor = await readNpy(tensorFile.path);
          feeds[name] = new ort.Tensor(tensor.dtype, tensor.data, tensor.shape);
        }
        const outputs = await session.run(feeds);
        const difference: CaseDifference = { modelName: file.name, label: referenceCase.label, maxAbsDiff: {}, argmaxAgreement: {} };
        for (const [name, tensorFile] of Object.entries(referenceCase.outputs)) {
          const reference = await readNpy(tensorFile.path);
          const actual = outputs[name];
          if (actual === undefined) throw new Error(`${file.name} has no output ${name}`);
          expect(actual.dims).toEqual(reference.shape);
          const expected = reference.data as Float32Array;
          const values = actual.data as Float32Array;
          let max = 0;
          for (let index = 0; index < expected.length; index += 1) {
            max = Math.max(max, Math.abs((values[index] ?? Number.NaN) - (expected[index] ?? 0)));
          }
          difference.maxAbsDiff[name] = Number.isNaN(max) ? Number.POSITIVE_INFINITY : max;
          difference.argmaxAgreement[name] = argmaxAgreement(expected, values, reference.shape.at(-1) ?? 1);
        }
        differences.push(difference);
      }
    } finally {
      await session.release();
    }
  }
  return differences;
}

function argmaxAgreement(expected: Float32Array, actual: Float32Array, width: number): number {
  const rows = Math.max(1, expected.length / width);
  let agree = 0;
  for (let row = 0; row < rows; row += 1) {
    if (argmax(expected, row * width, width) === argmax(actual, row * width, width)) agree += 1;
  }
  return agree / rows;
}

/** Index of the largest value in `values[offset, offset + width)`. */
export function argmax(values: Float32Array, offset: number, width: number): number {
  let best = 0;
  for (let index = 1; index < width; index += 1) {
    if ((values[offset + index] ?? -Infinity) > (values[offset + best] ?? -Infinity)) best = index;
  }
  return best;
}
