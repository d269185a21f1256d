import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { ConverterAdapter, DetectionResult, ExportResult, ModelSource } from '../adapter';
import { ConversionError } from '../conversion-error';
import type { ProgressEvent } from '../progress-event';
import { buildConversionReport } from '../report/build-conversion-report';
import { buildGpuxConfig, gpuxModelName, renderGpuxConfig } from '../report/build-gpux-config';
import type { ConversionReport } from '../report/conversion-report';
import { readSourceConfigs } from '../report/read-source-configs';
import type { ValidationDimsOptions } from '../validation/default-validation-dims';
import { findVocabSize } from '../validation/find-vocab-size';
import { describeValidationFailures } from '../validation/validation-report';
import type { ConvertOptions } from './convert-options';
import { runPhase, type PhaseRecord } from './phase-runner';
import { runModelStages } from './run-model-stages';
import { collectArtifacts, CONVERSION_REPORT_FILE, copySourceFiles, GPUX_CONFIG_FILE, sourceConfigDirectory, writeTextFile } from './write-conversion-output';

/** What {@link completeConversion} needs from the pipeline. */
export interface CompleteConversionInput {
  buildDirectory: string;
  workDirectory: string;
  source: ModelSource;
  detection: DetectionResult;
  adapter: ConverterAdapter;
  exportResult: ExportResult;
  phases: PhaseRecord[];
  options: ConvertOptions;
  /** Versions known to the pipeline (node, onnxruntime-node, @gpux packages). */
  toolVersions: Record<string, string>;
}

/** The size of an ONNX file with its external data file (`<file>_data` or `<file>.data`), if any. */
async function modelFileBytes(file: string): Promise<number> {
  const sizes = await Promise.all([file, `${file}_data`, `${file}.data`].map((candidate) => stat(candidate).then((info) => info.size, () => 0)));
  return sizes.reduce((total, size) => total + size, 0);
}

const positiveNumber = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined);

function validationDims(modelConfig: Record<string, unknown>, preprocessor: Record<string, unknown> | undefined): ValidationDimsOptions {
  const dims: ValidationDimsOptions = {};
  const crop = preprocessor?.crop_size ?? preprocessor?.size;
  const cropRecord = typeof crop === 'object' && crop !== null ? (crop as Record<string, unknown>) : {};
  const height = positiveNumber(cropRecord.height) ?? positiveNumber(cropRecord.shortest_edge) ?? positiveNumber(crop) ?? positiveNumber(modelConfig.image_size);
  const width = positiveNumber(cropRecord.width) ?? positiveNumber(cropRecord.shortest_edge) ?? positiveNumber(crop) ?? positiveNumber(modelConfig.image_size);
  if (height !== undefined && width !== undefined) dims.imageSize = { height, width };
  const channels = positiveNumber(modelConfig.num_channels);
  if (channels !== undefined) dims.numChannels = channels;
  return dims;
}

/**
 * Validates the export, runs the variant stages and writes configs, `gpux.yml` and
 * `conversion-report.json` into the build directory.
 *
 * @throws ConversionError `VALIDATION_FAILED` when a validation fails, before anything is written
 *   beyond the models: `details.report` is the conversion report so far (validation numbers per
 *   output included, `artifacts` empty, `failure` set), `details.validation` the failed
 *   validation, `details.path` its file.
 */
export async function* completeConversion(input: CompleteConversionInput): AsyncGenerator<ProgressEvent, { report: ConversionReport; mainModelPath: string }, void> {
  const { buildDirectory, source, exportResult, options, phases } = input;
  const signal = options.signal;
  const configDirectory = sourceConfigDirectory(source);
  const configs = await readSourceConfigs(configDirectory);
  const modelConfig = { ...(configs.config ?? {}), ...(exportResult.modelConfig ?? {}) };
  const dims = validationDims(modelConfig, configs.preprocessorConfig);
  const mainFile = exportResult.files.find((file) => file.name === 'model') ?? exportResult.files.at(0);
  if (mainFile === undefined) throw new TypeError('The export result lists no files.');
  const variants = options.variants ?? [];
  const validate = options.validate ?? true;
  // Token ids generated to compare variants stay inside the vocabulary: the config's, else the exported embedding table's.
  const vocabSize = variants.length === 0 || !validate ? undefined : await findVocabSize(mainFile.path, { config: modelConfig });

  const stages = yield* runModelStages({
    buildDirectory,
    workDirectory: input.workDirectory,
    exportResult,
    phases,
    validate,
    tolerances: options.tolerances,
    variants,
    vocabSize,
    dims,
    signal,
  });

  const relative = (file: string): string => path.relative(buildDirectory, file).split(path.sep).join('/');
  const mainModelPath = relative(mainFile.path);

  const reportInput = {
    source,
    detection: input.detection,
    adapter: input.adapter,
    exportResult,
    stages,
    phases,
    toolVersions: input.toolVersions,
    staticShapes: options.staticShapes,
  };
  if (stages.failure !== undefined) {
    const { path: failedPath, report: failed } = stages.failure;
    const message =
      `Validation of ${failedPath} against ${failed.reference} failed: ${describeValidationFailures(failed)}. Nothing was written. ` +
      'If these differences are acceptable, loosen the tolerances (atol/rtol); otherwise report the model to the exporter.';
    const report = buildConversionReport({ ...reportInput, artifacts: [], failure: { code: 'VALIDATION_FAILED', message, path: failedPath } });
    throw new ConversionError('VALIDATION_FAILED', message, { details: { report, validation: failed, path: failedPath } });
  }

  const report = yield* runPhase(phases, 'write', undefined, async function* () {
    yield* [];
    await copySourceFiles(configDirectory, buildDirectory, signal);
    const variantPaths: Record<string, string> = {};
    for (const [file, model] of stages.models) if (file !== mainModelPath) variantPaths[`${model.modelName}:${model.variant}`] = file;
    const sourceId = source.id ?? source.path;
    const gpuxConfig = buildGpuxConfig({
      name: gpuxModelName(source),
      sourceId,
      revision: source.revision,
      task: exportResult.task,
      architecture: exportResult.architecture,
      modelPath: mainModelPath,
      inputs: mainFile.inputs,
      outputs: mainFile.outputs,
      configs,
      modelConfig: exportResult.modelConfig,
      variants: variantPaths,
      staticShapes: options.staticShapes,
      modelBytes: await modelFileBytes(mainFile.path),
    });
    await writeTextFile(path.join(buildDirectory, GPUX_CONFIG_FILE), renderGpuxConfig(gpuxConfig));
    const artifacts = await collectArtifacts(buildDirectory, stages.models, signal);
    const built = buildConversionReport({ ...reportInput, artifacts });
    await writeTextFile(path.join(buildDirectory, CONVERSION_REPORT_FILE), `${JSON.stringify(built, null, 2)}\n`);
    return built;
  });
  return { report, mainModelPath };
}
