import type { InferenceSession } from 'onnxruntime-node';
import type { TensorElementType, TensorSpec } from '../adapter';
import { ConversionError } from '../conversion-error';
import { drainEvents, type ProgressCallback, type ProgressEvent } from '../progress-event';
import { createInferenceSession } from '../runtime/create-inference-session';
import type { HostTensor } from '../tensor/host-tensor';
import { defaultValidationDims, describeDims, type ValidationDimsOptions } from './default-validation-dims';
import { generateInputs } from './generate-inputs';
import { parseOnnxRuntimeFailure } from './onnxruntime-failure';
import { runSession, runValidationCase } from './run-validation-case';
import { throwIfCancelled } from './throw-if-cancelled';
import { validationError } from './validate-onnx-model';
import type { CaseValidation, ValidationReport } from './validation-report';
import { resolveValidationTolerances, type ValidationTolerances } from './validation-tolerances';

/** A set of inputs with a label. */
export interface LabelledInputs {
  label: string;
  inputs: Record<string, HostTensor>;
}

/** Options of {@link compareOnnxModels}. */
export interface CompareOnnxModelsOptions {
  /** The model whose outputs are the reference (e.g. the fp32 export). */
  referenceModelPath: string;
  /** The model checked against it (e.g. an optimized or quantized variant). */
  candidateModelPath: string;
  /** Inputs to run; generated from the reference model's inputs at two sizes of each dynamic axis when absent. */
  inputs?: readonly LabelledInputs[];
  /** Sizes for generated inputs. */
  dims?: ValidationDimsOptions;
  /** Token ids of generated inputs are below this. @default 100 */
  vocabSize?: number;
  /** @default 0 */
  seed?: number;
  /** @default `{ atol: 1e-4, rtol: 1e-3 }` */
  tolerances?: ValidationTolerances;
  /** Throw `VALIDATION_FAILED` when a case fails. @default true */
  throwOnFailure?: boolean;
  signal?: AbortSignal;
}

/** The inputs of a session as {@link TensorSpec}s. */
export function sessionInputSpecs(session: InferenceSession): TensorSpec[] {
  return session.inputMetadata.map((metadata) => ({
    name: metadata.name,
    dtype: (metadata.isTensor ? metadata.type : 'float32') as TensorElementType,
    shape: metadata.isTensor ? [...metadata.shape] : [],
  }));
}

/**
 * Runs two ONNX models in onnxruntime-node on the same inputs and compares the candidate's outputs
 * with the reference's (used to validate optimized and quantized variants against the export).
 * Float inputs are cast to the candidate's input type when it differs (float16 models).
 *
 * @throws ConversionError `VALIDATION_FAILED` (with `details.report`) when a case fails and
 *   `throwOnFailure` is true, and (whatever `throwOnFailure`) when the reference model cannot run on
 *   the inputs (`details.node`: the node onnxruntime named); `CANCELLED`; `RUNTIME_MISSING`;
 *   `INVALID_MODEL_FILE`.
 * @example
 * ```ts
 * const report = await compareOnnxModels({
 *   referenceModelPath: 'out/onnx/model.onnx',
 *   candidateModelPath: 'out/onnx/model_quantized.onnx',
 *   tolerances: { atol: 0.5, minCosineSimilarity: 0.99 },
 * });
 * ```
 */
export async function* compareOnnxModelsIter(options: CompareOnnxModelsOptions): AsyncGenerator<ProgressEvent, ValidationReport, void> {
  for (const key of ['referenceModelPath', 'candidateModelPath'] as const) {
    if (typeof options[key] !== 'string' || options[key] === '') throw new TypeError(`Parameter "${key}" must be a non-empty string, received ${JSON.stringify(options[key])}.`);
  }
  const tolerances = resolveValidationTolerances(options.tolerances);
  throwIfCancelled(options.signal);
  const reference = await createInferenceSession(options.referenceModelPath);
  const cases: CaseValidation[] = [];
  try {
    // A quantized candidate runs without the int8 saturation of x86 CPUs that lack VNNI.
    const candidate = await createInferenceSession(options.candidateModelPath, { exactInt8: true });
    try {
      const specs = sessionInputSpecs(reference);
      const inputSets: readonly LabelledInputs[] =
        options.inputs ??
        defaultValidationDims(specs, options.dims).map((dims, index) => ({
          label: describeDims(dims),
          inputs: generateInputs(specs, { dims, seed: (options.seed ?? 0) + index, vocabSize: options.vocabSize ?? 100 }),
        }));
      for (const [index, inputSet] of inputSets.entries()) {
        throwIfCancelled(options.signal);
        const expected = await runSession(reference, inputSet.inputs).catch((error: unknown) => {
          throw referenceRunError(error, options.referenceModelPath, inputSet);
        });
        cases.push(await runValidationCase(candidate, inputSet.label, inputSet.inputs, expected, tolerances));
        yield { type: 'percent', phase: 'validate', label: inputSet.label, percent: ((index + 1) / inputSets.length) * 100 };
      }
    } finally {
      await candidate.release();
    }
  } finally {
    await reference.release();
  }
  const report: ValidationReport = {
    modelPath: options.candidateModelPath,
    reference: options.referenceModelPath,
    passed: cases.every((entry) => entry.passed),
    tolerances,
    cases,
  };
  if (!report.passed && (options.throwOnFailure ?? true)) throw validationError(report);
  return report;
}

/** The reference model could not run on a case: our error, naming the node onnxruntime named. */
function referenceRunError(error: unknown, modelPath: string, inputSet: LabelledInputs): ConversionError {
  const failure = parseOnnxRuntimeFailure(error);
  const shapes = Object.entries(inputSet.inputs).map(([name, tensor]) => `${name}[${tensor.shape.join('x')}]`).join(', ');
  const where = failure.node === undefined ? '' : ` at node ${failure.node} (${failure.opType ?? 'unknown operator'})`;
  return new ConversionError(
    'VALIDATION_FAILED',
    `onnxruntime could not run the reference model ${modelPath}${where} on the validation inputs (${inputSet.label}: ${shapes}): ${failure.message}. ` +
      'Pass your own inputs (`inputs`) or sizes (`dims`) that the model accepts.',
    { cause: error, details: { modelPath, case: inputSet.label, ...(failure.node === undefined ? {} : { node: failure.node, opType: failure.opType }) } },
  );
}

/**
 * Awaitable form of {@link compareOnnxModelsIter}.
 *
 * @throws as {@link compareOnnxModelsIter}.
 */
export function compareOnnxModels(options: CompareOnnxModelsOptions & { onProgress?: ProgressCallback }): Promise<ValidationReport> {
  return drainEvents(compareOnnxModelsIter(options), options.onProgress);
}
