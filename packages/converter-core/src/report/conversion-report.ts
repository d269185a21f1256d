import type { DetectionResult, Framework, TensorSpec } from '../adapter';
import type { PhaseRecord } from '../pipeline/phase-runner';
import type { ValidationReport } from '../validation/validation-report';

/** A file of the conversion output. */
export interface ArtifactRecord {
  /** Path relative to the output directory, `/` separators. */
  path: string;
  kind: 'model' | 'external-data' | 'config' | 'metadata';
  /** `fp32` for exported files, the stage name for variants; absent for configs. */
  variant?: string;
  /** The exported file a model artifact derives from (`model`, `encoder_model`, ...). */
  modelName?: string;
  bytes: number;
  sha256: string;
}

/** One ONNX model file's interface. */
export interface ModelInterfaceRecord {
  /** Path relative to the output directory. */
  path: string;
  modelName: string;
  variant: string;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
}

/** Validation of one model artifact (against reference outputs or the exported model). */
export interface ArtifactValidationRecord {
  path: string;
  variant: string;
  /** `passed`, `failed`, or `skipped` (validation disabled or no reference cases). */
  status: 'passed' | 'failed' | 'skipped';
  /** Why it failed or was skipped. A failed variant's file is not in the output. */
  reason?: string;
  /** For a failed variant: our error code. */
  code?: 'VALIDATION_FAILED';
  /** For a failed variant: the node onnxruntime named when it could not run a model. */
  node?: string;
  report?: ValidationReport;
}

/** A variant stage's outcome. */
export interface VariantRecord {
  name: string;
  phase: 'optimize' | 'quantize';
  files: string[];
  notes: string[];
  details?: Record<string, unknown>;
}

/** The content of `conversion-report.json` (`formatVersion` 1). */
export interface ConversionReport {
  formatVersion: 1;
  createdAt: string;
  source: { id?: string; revision?: string; format: string; path: string; kind: 'file' | 'directory' };
  framework: Framework;
  detection: DetectionResult;
  adapter: string;
  task: string;
  architecture?: string;
  opset: number;
  exporter: string;
  notes: string[];
  toolVersions: Record<string, string>;
  models: ModelInterfaceRecord[];
  artifacts: ArtifactRecord[];
  validation: ArtifactValidationRecord[];
  variants: VariantRecord[];
  phases: PhaseRecord[];
  /** The sizes `--static-shapes` (`staticShapes`) fixed in every ONNX file of the output. */
  staticShapes?: Record<string, number>;
  /** Peak resident memory of the Python child during export, in bytes. */
  exportChildPeakRssBytes?: number;
  /** Peak resident memory of the Node process over the whole conversion, in bytes. */
  peakRssBytes: number;
  /**
   * Only in the report a failed conversion carries in its error (`error.details.report`, never
   * written to disk): why it stopped. `artifacts` is then empty, since nothing was written.
   */
  failure?: { code: 'VALIDATION_FAILED'; message: string; path: string };
}
