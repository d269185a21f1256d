import type { ReferenceCase } from '../adapter';
import { ConversionError } from '../conversion-error';
import { drainEvents, type ProgressCallback, type ProgressEvent } from '../progress-event';
import { createInferenceSession } from '../runtime/create-inference-session';
import type { HostTensor } from '../tensor/host-tensor';
import { readNpy } from '../tensor/read-npy';
import { runValidationCase } from './run-validation-case';
import { throwIfCancelled } from './throw-if-cancelled';
import { describeValidationFailures, type CaseValidation, type ValidationReport } from './validation-report';
import { resolveValidationTolerances, type ValidationTolerances } from './validation-tolerances';

/** Options of {@link validateOnnxModel}. */
export interface ValidateOnnxModelOptions {
  /** The ONNX file to validate. */
  modelPath: string;
  /** Reference cases for this file (inputs and the source framework's outputs as `.npy` files). */
  cases: readonly ReferenceCase[];
  /** @default `{ atol: 1e-4, rtol: 1e-3 }` (see {@link ValidationTolerances}) */
  tolerances?: ValidationTolerances;
  /** Throw `VALIDATION_FAILED` when a case fails. @default true */
  throwOnFailure?: boolean;
  signal?: AbortSignal;
}

async function readTensors(files: ReferenceCase['inputs']): Promise<Record<string, HostTensor>> {
  const entries = await Promise.all(Object.entries(files).map(async ([name, file]) => [name, await readNpy(file.path)] as const));
  return Object.fromEntries(entries);
}

/**
 * Runs the ONNX file in onnxruntime-node (CPU, graph optimizations off) on each case's inputs and
 * compares every output with the source framework's reference. Yields a `percent` event per case.
 *
 * @throws ConversionError `VALIDATION_FAILED` (with `details.report`) when a case fails and
 *   `throwOnFailure` is true; `CANCELLED` when `signal` aborts; `RUNTIME_MISSING`,
 *   `INVALID_MODEL_FILE` when the model cannot be loaded.
 * @example
 * ```ts
 * const report = yield* validateOnnxModelIter({ modelPath: file.path, cases: result.referenceCases });
 * ```
 */
export async function* validateOnnxModelIter(options: ValidateOnnxModelOptions): AsyncGenerator<ProgressEvent, ValidationReport, void> {
  if (typeof options.modelPath !== 'string' || options.modelPath === '') {
    throw new TypeError(`Parameter "modelPath" must be a non-empty string, received ${JSON.stringify(options.modelPath)}.`);
  }
  const referenceCases: readonly ReferenceCase[] = options.cases;
  if (!Array.isArray(options.cases)) throw new TypeError('Parameter "cases" must be an array of reference cases.');
  const tolerances = resolveValidationTolerances(options.tolerances);
  throwIfCancelled(options.signal);
  const session = await createInferenceSession(options.modelPath);
  const cases: CaseValidation[] = [];
  try {
    for (const [index, referenceCase] of referenceCases.entries()) {
      throwIfCancelled(options.signal);
      const inputs = await readTensors(referenceCase.inputs);
      cases.push(await runValidationCase(session, referenceCase.label, inputs, () => readTensors(referenceCase.outputs), tolerances));
      yield { type: 'percent', phase: 'validate', label: referenceCase.label, percent: ((index + 1) / referenceCases.length) * 100 };
    }
  } finally {
    await session.release();
  }
  const report: ValidationReport = { modelPath: options.modelPath, reference: 'reference-outputs', passed: cases.every((entry) => entry.passed), tolerances, cases };
  if (!report.passed && (options.throwOnFailure ?? true)) throw validationError(report);
  return report;
}

/**
 * Awaitable form of {@link validateOnnxModelIter}.
 *
 * @throws as {@link validateOnnxModelIter}.
 * @example
 * ```ts
 * const report = await validateOnnxModel({ modelPath: 'out/onnx/model.onnx', cases, tolerances: { atol: 1e-3 } });
 * console.log(report.cases[0]?.outputs[0]?.maxAbsDiff);
 * ```
 */
export function validateOnnxModel(options: ValidateOnnxModelOptions & { onProgress?: ProgressCallback }): Promise<ValidationReport> {
  return drainEvents(validateOnnxModelIter(options), options.onProgress);
}

/** The `VALIDATION_FAILED` error of a failed report. */
export function validationError(report: ValidationReport): ConversionError {
  return new ConversionError(
    'VALIDATION_FAILED',
    `Validation of ${report.modelPath} against ${report.reference} failed: ${describeValidationFailures(report)}. ` +
      'If these differences are acceptable, loosen the tolerances (atol/rtol); otherwise report the model to the exporter.',
    { details: { report } },
  );
}
