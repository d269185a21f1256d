// Test support: test-helpers' reference-case comparer with converter-core's readNpy, as the
// TensorFlow tests call it (one ONNX file, TensorFlow's reference cases).
import { readNpy, type ReferenceCase } from '@gpux/converter-core';
import { compareReferenceCases as compareOutputs, type OutputDifference } from '@gpux/test-helpers';

export type { OutputDifference } from '@gpux/test-helpers';

/** converter-core's `readNpy`, under the name the tests use. */
export { readNpy as readNpyFile } from '@gpux/converter-core';

/** Runs every case through onnxruntime-node (graph optimizations off) and returns per-output differences. */
export function compareReferenceCases(modelPath: string, cases: readonly ReferenceCase[]): Promise<OutputDifference[]> {
  return compareOutputs(modelPath, cases, { readNpy, sessionOptions: { graphOptimizationLevel: 'disabled' } });
}
