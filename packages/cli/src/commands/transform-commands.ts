import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { compareOnnxModelsIter, describeSymbolicDims, findVocabSize, type ModelVariantStage } from '@gpux/converter-core';
import { fixSymbolicDims, inspectOnnxModel, loadOnnxModel, saveOnnxModel } from '@gpux/onnx';
import type { OptimizationLevel, PrecisionVariant } from '@gpux/optimizer';
import type { Command } from 'commander';
import { createOptimizationStage, createQuantizationStage } from '../conversion/create-variant-stages';
import { drainWithRenderer, writeJsonResult } from '../drain-with-renderer';
import { EXIT_CODES } from '../exit-codes';
import { formatValidationReport } from '../output/format-validation-report';
import { formatBytes, ProgressRenderer } from '../output/progress-renderer';
import { parseCosineSimilarity, parseOptimizationLevel, parseQuantizationModes, parseStaticShapesOption } from '../parse-option-values';
import { runCommand } from '../run-command';

interface TransformCliOptions {
  output?: string;
  validate: boolean;
  json?: boolean;
  staticShapes?: Record<string, number>;
}

/**
 * `--static-shapes` on optimize/quantize: the input with those dims fixed, written into the work
 * directory. Its graph and weights are the input's, so it is the reference the output is compared
 * with (at exactly those sizes), and the stage reads it, so the output is static too.
 *
 * @throws RangeError (a usage error) when a name is no symbolic dim of the model's inputs.
 */
async function writeStaticInput(input: string, dims: Record<string, number>, workDirectory: string, signal: AbortSignal): Promise<{ path: string; note: string }> {
  const model = await loadOnnxModel(input);
  const inspection = await inspectOnnxModel(model, { path: input });
  const fixed = fixSymbolicDims(model, dims);
  const missing = Object.keys(dims).filter((name) => fixed.replaced[name] === undefined);
  if (missing.length > 0) {
    const symbolic = describeSymbolicDims(inspection.inputs.map((value) => ({ shape: (value.dims ?? []).filter((dim) => dim !== null) })));
    throw new RangeError(`--static-shapes names ${missing.map((name) => `"${name}"`).join(', ')}, which no input of ${input} has. Its symbolic dims are: ${symbolic}.`);
  }
  const target = path.join(workDirectory, 'static', path.basename(input));
  const dataFile = inspection.externalDataFiles[0];
  await saveOnnxModel(model, target, { externalData: dataFile !== undefined, externalDataFileName: dataFile === undefined ? undefined : path.basename(dataFile), signal });
  const left = fixed.remainingInputDims.length === 0 ? 'every input dim is static' : `still dynamic: ${fixed.remainingInputDims.join(', ')}`;
  return { path: target, note: `static shapes ${Object.entries(dims).map(([name, value]) => `${name}=${value}`).join(', ')} fixed in the graph (${left})` };
}

async function totalSize(modelPath: string): Promise<number> {
  const inspection = await inspectOnnxModel(await loadOnnxModel(modelPath), { path: modelPath });
  return inspection.sizeOnDisk?.totalBytes ?? 0;
}

/** Runs one variant stage on a file, validates the result against the input, and prints both sizes. */
async function runStageOnFile(createStage: () => ModelVariantStage, modelPath: string, options: TransformCliOptions): Promise<void> {
  const json = Boolean(options.json);
  const renderer = new ProgressRenderer(ProgressRenderer.chooseMode(json));
  await runCommand(renderer, json, async ({ signal }) => {
    let exitCode: number = EXIT_CODES.success;
    const stage = createStage();
    const input = path.resolve(modelPath);
    const outputPath = path.resolve(options.output ?? path.join(path.dirname(input), `${path.basename(input, '.onnx')}${stage.fileSuffix}.onnx`));
    const workDirectory = await mkdtemp(path.join(os.tmpdir(), 'gpux-transform-'));
    try {
      const staticInput = options.staticShapes === undefined ? undefined : await writeStaticInput(input, options.staticShapes, workDirectory, signal);
      const stageInput = staticInput?.path ?? input;
      const stageResult = await drainWithRenderer(stage.run({ modelPath: stageInput, outputPath, workDirectory, signal }), renderer);
      const result = staticInput === undefined ? stageResult : { ...stageResult, notes: [staticInput.note, ...stageResult.notes] };
      const vocabSize = await findVocabSize(input);
      const validation = options.validate
        ? await drainWithRenderer(
            compareOnnxModelsIter({
              referenceModelPath: stageInput,
              candidateModelPath: outputPath,
              tolerances: stage.tolerances,
              vocabSize,
              throwOnFailure: false,
              signal,
            }),
            renderer,
          )
        : undefined;
      renderer.stop();
      const sizes = { inputBytes: await totalSize(input), outputBytes: await totalSize(outputPath) };
      if (validation !== undefined && !validation.passed) exitCode = EXIT_CODES.validationFailed;
      if (json) {
        writeJsonResult({ stage: stage.name, outputPath, ...sizes, notes: result.notes, details: result.details, validation });
        return exitCode;
      }
      const lines = [`${stage.name}: ${outputPath}`, `size: ${formatBytes(sizes.inputBytes)} -> ${formatBytes(sizes.outputBytes)}`, ...result.notes.map((note) => `  ${note}`)];
      if (validation !== undefined) lines.push(formatValidationReport(validation));
      process.stdout.write(lines.join('\n') + '\n');
      return exitCode;
    } catch (error) {
      await rm(outputPath, { force: true });
      throw error;
    } finally {
      await rm(workDirectory, { recursive: true, force: true });
    }
  });
}

/** `gpux-convert optimize <model.onnx>` and `gpux-convert quantize <model.onnx>`. */
export function registerTransformCommands(program: Command): void {
  program
    .command('optimize')
    .description('Optimize an ONNX model\'s graph (Optimum levels) and validate it against the input.')
    .argument('<model>', 'the .onnx file')
    .option('--level <level>', 'O1 basic, O2 + transformer fusions, O3 + approximate GELU, O4 + fp16', parseOptimizationLevel, 'O2' as OptimizationLevel)
    .option('-o, --output <file>', 'output file (default: beside the input, with the stage\'s suffix)')
    .option('--static-shapes <dims>', 'fix symbolic dims in the output, e.g. batch_size=1,sequence_length=128 (validated at those sizes)', parseStaticShapesOption)
    .option('--no-validate', 'skip the comparison with the input model')
    .option('--json', 'one JSON event per line on stdout, the result object last')
    .action(async (modelPath: string, options: TransformCliOptions & { level: OptimizationLevel }) => {
      await runStageOnFile(() => createOptimizationStage(options.level), modelPath, options);
    });
  program
    .command('quantize')
    .description('Quantize an ONNX model (or convert it to fp16) and validate it against the input.')
    .argument('<model>', 'the .onnx file')
    .option('--mode <mode>', 'int8, uint8, q8 (model_quantized), fp16 or q4', (value: string) => parseQuantizationModes(value)[0] as PrecisionVariant, 'int8' as PrecisionVariant)
    .option('-o, --output <file>', 'output file (default: beside the input, with the transformers.js suffix: _int8, _fp16, ...)')
    .option('--static-shapes <dims>', 'fix symbolic dims in the output, e.g. batch_size=1,sequence_length=128 (validated at those sizes)', parseStaticShapesOption)
    .option('--no-validate', 'skip the comparison with the input model')
    .option('--json', 'one JSON event per line on stdout, the result object last')
    .option('--min-cosine <n>', 'accuracy budget: least cosine similarity to the input (default 0.99, q4 0.98); lower keeps fewer nodes in fp32', parseCosineSimilarity)
    .action(async (modelPath: string, options: TransformCliOptions & { mode: PrecisionVariant; minCosine?: number }) => {
      await runStageOnFile(() => createQuantizationStage(options.mode, undefined, { minCosineSimilarity: options.minCosine }), modelPath, options);
    });
}
