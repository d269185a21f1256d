// Test support: runs an exported ONNX file in onnxruntime-node on an adapter's reference inputs and
// measures how far its outputs are from the framework's (the .npy files of the reference case).
import * as ort from 'onnxruntime-node';

/** A tensor as converter-core's `readNpy` returns it. */
export interface NpyTensorLike {
  dtype: string;
  shape: readonly number[];
  data: ArrayLike<number | bigint>;
}

/** A reference case as adapters write it (converter-core's `ReferenceCase`): `.npy` files by tensor name. */
export interface ReferenceCaseLike {
  label: string;
  modelName?: string;
  inputs: Readonly<Record<string, { path: string }>>;
  outputs: Readonly<Record<string, { path: string }>>;
}

/** Options of {@link compareReferenceCases}. */
export interface CompareReferenceCasesOptions {
  /**
   * Reads a `.npy` file: pass converter-core's `readNpy` (test-helpers depends on no @gpux package,
   * so the reader is handed in).
   */
  readNpy: (filePath: string) => Promise<NpyTensorLike>;
  /** Session options of onnxruntime-node (e.g. `{ graphOptimizationLevel: 'disabled' }`). */
  sessionOptions?: ort.InferenceSession.SessionOptions;
}

/** How far one output of one case is from the reference. */
export interface OutputDifference {
  label: string;
  output: string;
  shape: number[];
  /** Largest |onnx - reference|; Infinity when a value is NaN. */
  maxAbsDiff: number;
  /** Largest |reference| value, to put maxAbsDiff in scale. */
  maxAbsReference: number;
  /** Fraction of last-axis rows whose argmax agrees. */
  argmaxAgreement: number;
}

/**
 * Runs every case through onnxruntime-node and returns one difference per case and output, in the
 * order of the cases and of their outputs.
 *
 * @throws Error when the model lacks an output of a case or its shape differs from the reference's.
 */
export async function compareReferenceCases(modelPath: string, cases: readonly ReferenceCaseLike[], options: CompareReferenceCasesOptions): Promise<OutputDifference[]> {
  const session = await ort.InferenceSession.create(modelPath, options.sessionOptions ?? {});
  const differences: OutputDifference[] = [];
  try {
    for (const referenceCase of cases) {
      const feeds: Record<string, ort.Tensor> = {};
      for (const [name, file] of Object.entries(referenceCase.inputs)) {
        const tensor = await options.readNpy(file.path);
        feeds[name] = new ort.Tensor(tensor.dtype as 'float32', tensor.data as Float32Array, [...tensor.shape]);
      }
      const results = await session.run(feeds);
      for (const [name, file] of Object.entries(referenceCase.outputs)) {
        const reference = await options.readNpy(file.path);
        const actual = results[name];
        if (actual === undefined) throw new Error(`${modelPath} has no output ${name}`);
        if (actual.dims.join(',') !== reference.shape.join(',')) {
          throw new Error(`${referenceCase.label} ${name}: ONNX shape [${actual.dims.join(',')}] != reference [${reference.shape.join(',')}]`);
        }
        const values = actual.data as ArrayLike<number | bigint>;
        let maxAbsDiff = 0;
        let maxAbsReference = 0;
        for (let index = 0; index < reference.data.length; index += 1) {
          const expected = Number(reference.data[index]);
          const difference = Math.abs(Number(values[index] ?? Number.NaN) - expected);
          maxAbsDiff = Number.isNaN(difference) ? Number.POSITIVE_INFINITY : Math.max(maxAbsDiff, difference);
          maxAbsReference = Math.max(maxAbsReference, Math.abs(expected));
        }
        differences.push({
          label: referenceCase.label,
          output: name,
          shape: [...reference.shape],
          maxAbsDiff,
          maxAbsReference,
          argmaxAgreement: argmaxAgreement(reference.data, values, reference.shape.at(-1) ?? 1),
        });
      }
    }
  } finally {
    await session.release();
  }
  return differences;
}

function argmaxAgreement(expected: ArrayLike<number | bigint>, actual: ArrayLike<number | bigint>, width: number): number {
  const rows = Math.max(1, expected.length / Math.max(1, width));
  let agree = 0;
  for (let row = 0; row < rows; row += 1) {
    if (argmax(expected, row * width, width) === argmax(actual, row * width, width)) agree += 1;
  }
  return agree / rows;
}

/** Index of the largest value in `values[offset, offset + width)`. */
export function argmax(values: ArrayLike<number | bigint>, offset: number, width: number): number {
  let best = 0;
  for (let index = 1; index < width; index += 1) {
    if (Number(values[offset + index] ?? -Infinity) > Number(values[offset + best] ?? -Infinity)) best = index;
  }
  return best;
}
