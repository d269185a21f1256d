import type { ResolvedValidationTolerances } from './validation-tolerances';

/** How one output of one case compares with its reference. Metrics are null when shapes differ. */
export interface OutputComparison {
  name: string;
  dtype: string;
  /** Shape of the ONNX output. */
  shape: number[];
  referenceShape: number[];
  maxAbsDiff: number | null;
  /** Largest `|onnx - reference| / |reference|` over elements whose reference is not zero. */
  maxRelDiff: number | null;
  meanAbsDiff: number | null;
  /** Cosine similarity of the flattened finite values (1 when both are all zeros). */
  cosineSimilarity: number | null;
  /** Elements outside `atol + rtol * |reference|` (non-finite disagreements included). */
  mismatchCount: number;
  elementCount: number;
  /** Fraction of rows whose last-axis argmax agrees (float outputs named like logits/scores). */
  argmaxAgreement?: number;
  /** Mean overlap of the last-axis top-k index sets, with k = {@link OutputComparison.topK}. */
  topKAgreement?: number;
  topK?: number;
  /** NaN and infinite values in the ONNX output. */
  nanCount: number;
  infCount: number;
  passed: boolean;
  /** Why it failed, in words. */
  failure?: string;
}

/** The result of one validation case. */
export interface CaseValidation {
  label: string;
  passed: boolean;
  /** A failure of the case as a whole (the session could not run, an output is missing). */
  failure?: string;
  /** The node onnxruntime named when it could not run the model. */
  failedNode?: string;
  outputs: OutputComparison[];
}

/** The result of validating one ONNX file. */
export interface ValidationReport {
  modelPath: string;
  /** What the outputs were compared with: `reference-outputs` (from the source framework) or an ONNX file. */
  reference: string;
  passed: boolean;
  tolerances: ResolvedValidationTolerances;
  cases: CaseValidation[];
}

/** A one-paragraph description of the failures of a report, for error messages. */
export function describeValidationFailures(report: ValidationReport): string {
  const lines: string[] = [];
  for (const validationCase of report.cases) {
    if (validationCase.passed) continue;
    if (validationCase.failure !== undefined) lines.push(`[${validationCase.label}] ${validationCase.failure}`);
    for (const output of validationCase.outputs) {
      if (!output.passed) lines.push(`[${validationCase.label}] ${output.failure ?? output.name}`);
    }
  }
  return lines.join('; ');
}
