// Test support: test-helpers' reference-case comparer (with converter-core's readNpy) over every
// file of a PyTorch export, its per-output rows grouped by case.
import { readNpy, type ExportResult } from '@gpux/converter-core';
import { compareReferenceCases as compareOutputs } from '@gpux/test-helpers';

export { argmax } from '@gpux/test-helpers';

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
    const cases = result.referenceCases.filter((entry) => entry.modelName === file.name);
    const rows = await compareOutputs(file.path, cases, { readNpy });
    let next = 0;
    for (const referenceCase of cases) {
      const difference: CaseDifference = { modelName: file.name, label: referenceCase.label, maxAbsDiff: {}, argmaxAgreement: {} };
      for (const row of rows.slice(next, next + Object.keys(referenceCase.outputs).length)) {
        difference.maxAbsDiff[row.output] = row.maxAbsDiff;
        difference.argmaxAgreement[row.output] = row.argmaxAgreement;
      }
      next += Object.keys(referenceCase.outputs).length;
      differences.push(difference);
    }
  }
  return differences;
}
