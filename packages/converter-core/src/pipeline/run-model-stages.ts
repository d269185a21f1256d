import { rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ExportResult, ExportedModelFile, TensorSpec } from '../adapter';
import { ConversionError } from '../conversion-error';
import type { ProgressEvent } from '../progress-event';
import type { ArtifactValidationRecord, VariantRecord } from '../report/conversion-report';
import { inspectModelInterface } from '../report/inspect-model-interface';
import { compareOnnxModelsIter } from '../validation/compare-onnx-models';
import type { ValidationDimsOptions } from '../validation/default-validation-dims';
import { throwIfCancelled } from '../validation/throw-if-cancelled';
import { validateOnnxModelIter } from '../validation/validate-onnx-model';
import { describeValidationFailures, type ValidationReport } from '../validation/validation-report';
import type { ValidationTolerances } from '../validation/validation-tolerances';
import type { ModelVariantStage } from './model-variant-stage';
import { runPhase, type PhaseRecord } from './phase-runner';

/** Shared state of the validate / optimize / quantize phases. */
export interface ModelStagesContext {
  buildDirectory: string;
  workDirectory: string;
  exportResult: ExportResult;
  phases: PhaseRecord[];
  validate: boolean;
  tolerances?: ValidationTolerances;
  variants: readonly ModelVariantStage[];
  /** Hints for inputs generated to compare variants. */
  vocabSize?: number;
  dims?: ValidationDimsOptions;
  signal?: AbortSignal;
}

/** An ONNX file of the output: its variant, the exported file it derives from, and its own IO. */
export interface StagedModel {
  variant: string;
  modelName: string;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
}

/** What the validate / variant phases produced. */
export interface ModelStagesResult {
  validation: ArtifactValidationRecord[];
  variants: VariantRecord[];
  /** Relative path of each ONNX file -> its variant, exported model name and IO. */
  models: Map<string, StagedModel>;
  toolVersions: Record<string, string>;
  /** The export's validation that failed; the stages stop there (its record has status `failed`). */
  failure?: { path: string; report: ValidationReport };
  /** Variants that failed validation: left out of the output, recorded in `validation`; the other variants still ran. */
  variantFailures: ArtifactValidationRecord[];
}

const relativeTo = (root: string, file: string): string => path.relative(root, file).split(path.sep).join('/');

/** The report with its file paths made relative to the output directory (the build directory is renamed). */
function relativeReport(report: ValidationReport, root: string): ValidationReport {
  const relativePath = (file: string): string => (path.isAbsolute(file) ? relativeTo(root, file) : file);
  return { ...report, modelPath: relativePath(report.modelPath), reference: relativePath(report.reference) };
}

/** Records a validation; returns false (and sets `result.failure`) when it failed. */
function recordValidation(result: ModelStagesResult, root: string, relative: string, variant: string, report: ValidationReport): boolean {
  const kept = relativeReport(report, root);
  result.validation.push({ path: relative, variant, status: report.passed ? 'passed' : 'failed', report: kept });
  if (!report.passed) result.failure = { path: relative, report: kept };
  return report.passed;
}

async function assertExportedFile(file: ExportedModelFile, onnxDirectory: string): Promise<void> {
  const inside = !path.relative(onnxDirectory, file.path).startsWith('..');
  const exists = await stat(file.path).then((info) => info.isFile(), () => false);
  if (!inside || !exists) {
    throw new ConversionError('EXPORT_FAILED', `The adapter reported ${file.path} for "${file.name}", but no such file exists in ${onnxDirectory}. This is a bug in the adapter.`, {
      details: { file: file.path },
    });
  }
}

/**
 * Validates each exported file against its reference cases, then runs every variant stage on every
 * exported file and validates each variant against its exported file. A failed validation of the
 * export is recorded (status `failed`, `result.failure`) and ends the stages; the caller turns it
 * into `VALIDATION_FAILED` once the report so far is built. A variant that fails (its comparison, its
 * own check, or onnxruntime failing on it: `VALIDATION_FAILED`) is removed from the output and
 * recorded (status `failed`, `code`, `reason`, `node`, in `validation` and `variantFailures`); the
 * other variants still run, and stages reading its output are skipped.
 *
 * @throws ConversionError `CANCELLED`, `EXPORT_FAILED` (a file the adapter or a stage reported is
 *   missing), and whatever a stage throws.
 */
export async function* runModelStages(context: ModelStagesContext): AsyncGenerator<ProgressEvent, ModelStagesResult, void> {
  const { buildDirectory, exportResult, phases, signal } = context;
  const onnxDirectory = path.join(buildDirectory, 'onnx');
  const result: ModelStagesResult = { validation: [], variants: [], models: new Map(), toolVersions: {}, variantFailures: [] };
  if (exportResult.files.length === 0) throw new ConversionError('EXPORT_FAILED', 'The adapter exported no ONNX file. This is a bug in the adapter.');
  for (const file of exportResult.files) {
    await assertExportedFile(file, onnxDirectory);
    result.models.set(relativeTo(buildDirectory, file.path), { variant: 'fp32', modelName: file.name, inputs: file.inputs, outputs: file.outputs });
  }

  for (const file of exportResult.files) {
    const relative = relativeTo(buildDirectory, file.path);
    const cases = exportResult.referenceCases.filter((referenceCase) => referenceCase.modelName === file.name);
    if (!context.validate || cases.length === 0) {
      const reason = context.validate ? 'the adapter produced no reference cases for this file' : 'validation was disabled';
      result.validation.push({ path: relative, variant: 'fp32', status: 'skipped', reason });
      if (context.validate) yield { type: 'message', phase: 'validate', level: 'warning', message: `${relative} was not validated: ${reason}.` };
      continue;
    }
    throwIfCancelled(signal);
    const report = yield* runPhase(phases, 'validate', relative, () =>
      validateOnnxModelIter({
        modelPath: file.path,
        cases,
        throwOnFailure: false,
        tolerances: context.tolerances,
        signal,
      }),
    );
    if (!recordValidation(result, buildDirectory, relative, 'fp32', report)) return result;
  }

  const outputsByStage = new Map<string, string>();
  const failedOutputs = new Set<string>();
  for (const stage of context.variants) {
    const record: VariantRecord = { name: stage.name, phase: stage.phase, files: [], notes: [] };
    for (const file of exportResult.files) {
      throwIfCancelled(signal);
      const outputPath = path.join(onnxDirectory, `${file.name}${stage.fileSuffix}.onnx`);
      const relative = relativeTo(buildDirectory, outputPath);
      if (stage.inputFrom !== undefined && failedOutputs.has(`${stage.inputFrom}\0${file.name}`)) {
        failedOutputs.add(`${stage.name}\0${file.name}`);
        result.validation.push({ path: relative, variant: stage.name, status: 'skipped', reason: `its input, variant ${stage.inputFrom}, failed validation` });
        continue;
      }
      const inputPath = stage.inputFrom === undefined ? file.path : outputsByStage.get(`${stage.inputFrom}\0${file.name}`);
      if (inputPath === undefined) throw new TypeError(`Variant stage "${stage.name}" reads the output of "${String(stage.inputFrom)}", which does not run before it.`);
      let failure: VariantFailure | undefined;
      try {
        failure = yield* runVariantFile(context, result, record, { stage, file, inputPath, outputPath, relative });
      } catch (error) {
        // A variant's own check (quantization) or onnxruntime failing on the reference: still only this variant.
        if (!ConversionError.hasCode(error, 'VALIDATION_FAILED')) throw error;
        const node = typeof error.details.node === 'string' ? error.details.node : undefined;
        const report = error.details.report as ValidationReport | undefined;
        failure = { reason: error.message, node, report };
      }
      if (failure === undefined) {
        outputsByStage.set(`${stage.name}\0${file.name}`, outputPath);
        continue;
      }
      // A variant that failed is not shipped; the export and the other variants still are.
      for (const candidate of [outputPath, `${outputPath}_data`, `${outputPath}.data`]) await rm(candidate, { force: true });
      result.models.delete(relative);
      record.files = record.files.filter((entry) => entry !== relative);
      failedOutputs.add(`${stage.name}\0${file.name}`);
      const failed: ArtifactValidationRecord = {
        path: relative,
        variant: stage.name,
        status: 'failed',
        code: 'VALIDATION_FAILED',
        reason: failure.reason,
        ...(failure.node === undefined ? {} : { node: failure.node }),
        ...(failure.report === undefined ? {} : { report: relativeReport(failure.report, buildDirectory) }),
      };
      result.validation = [...result.validation.filter((entry) => entry.path !== relative), failed];
      result.variantFailures.push(failed);
      yield { type: 'message', phase: 'validate', level: 'warning', message: `Variant ${stage.name} (${relative}) failed validation and is left out: ${failure.reason}` };
    }
    result.variants.push(record);
  }
  return result;
}

/** Why a variant file failed validation. */
interface VariantFailure {
  reason: string;
  node?: string;
  report?: ValidationReport;
}

/** Runs one stage on one exported file and validates the result; returns the failure, if any. */
async function* runVariantFile(
  context: ModelStagesContext,
  result: ModelStagesResult,
  record: VariantRecord,
  target: { stage: ModelVariantStage; file: ExportedModelFile; inputPath: string; outputPath: string; relative: string },
): AsyncGenerator<ProgressEvent, VariantFailure | undefined, void> {
  const { stage, file, inputPath, outputPath, relative } = target;
  const { buildDirectory, phases, signal } = context;
  const variantResult = yield* runPhase(phases, stage.phase, `${stage.name}: ${relative}`, () =>
    stage.run({ modelPath: inputPath, outputPath, workDirectory: context.workDirectory, signal }),
  );
  await assertExportedFile({ ...file, path: outputPath }, path.join(buildDirectory, 'onnx'));
  result.models.set(relative, { variant: stage.name, modelName: file.name, ...(await inspectModelInterface(outputPath, file)) });
  record.files.push(relative);
  record.notes.push(...variantResult.notes);
  if (variantResult.details !== undefined) record.details = { ...record.details, [file.name]: variantResult.details };
  Object.assign(result.toolVersions, variantResult.toolVersions ?? {});
  if (!context.validate) {
    result.validation.push({ path: relative, variant: stage.name, status: 'skipped', reason: 'validation was disabled' });
    return undefined;
  }
  const report = yield* runPhase(phases, 'validate', relative, () =>
    compareOnnxModelsIter({
      referenceModelPath: file.path,
      candidateModelPath: outputPath,
      throwOnFailure: false,
      tolerances: stage.tolerances ?? context.tolerances,
      vocabSize: context.vocabSize,
      dims: context.dims,
      signal,
    }),
  );
  if (report.passed) {
    recordValidation(result, buildDirectory, relative, stage.name, report);
    return undefined;
  }
  const node = report.cases.find((entry) => entry.failedNode !== undefined)?.failedNode;
  const reason = `Validation of ${relative} against ${relativeTo(buildDirectory, file.path)} failed: ${describeValidationFailures(report)}`;
  return { reason, node, report };
}
