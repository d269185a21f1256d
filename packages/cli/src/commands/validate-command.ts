import { access } from 'node:fs/promises';
import path from 'node:path';
import { compareOnnxModelsIter, ConversionError, findVocabSize, type ValidationReport, type ValidationTolerances } from '@gpux/converter-core';
import type { Command } from 'commander';
import { drainWithRenderer, writeJsonResult } from '../drain-with-renderer';
import { EXIT_CODES } from '../exit-codes';
import { formatValidationReport } from '../output/format-validation-report';
import { ProgressRenderer } from '../output/progress-renderer';
import { parseNonNegativeNumber, parsePositiveInteger } from '../parse-option-values';
import { runCommand } from '../run-command';
import { validateAgainstSource } from './validate-against-source';

interface ValidateCliOptions {
  against?: string;
  source?: string;
  atol?: number;
  rtol?: number;
  minCosine?: number;
  python?: string;
  vocabSize?: number;
  json?: boolean;
}

/** The fp32 model of a gpux-convert output (`<out>/onnx/model.onnx`) when `modelPath` is one of its variants. */
async function siblingExport(modelPath: string): Promise<string | undefined> {
  const directory = path.dirname(path.resolve(modelPath));
  const candidate = path.join(directory, 'model.onnx');
  if (path.basename(directory) !== 'onnx' || candidate === path.resolve(modelPath)) return undefined;
  return access(candidate).then(() => candidate, () => undefined);
}

/** `gpux-convert validate <model.onnx>`: compares outputs with another ONNX model or with the source framework. */
export function registerValidateCommand(program: Command): void {
  program
    .command('validate')
    .description('Check an ONNX model\'s outputs: against another ONNX model (--against), against the source framework (--source), or — for a variant inside a gpux-convert output — against onnx/model.onnx beside it.')
    .argument('<model>', 'the .onnx file to check')
    .option('--against <reference.onnx>', 'reference ONNX model, run on the same generated inputs (two sizes of each dynamic axis)')
    .option('--source <source>', 'the original model (directory or file): re-runs the adapter to get reference outputs from PyTorch/TensorFlow')
    .option('--atol <n>', 'absolute tolerance (default 1e-4)', parseNonNegativeNumber)
    .option('--rtol <n>', 'relative tolerance (default 1e-3)', parseNonNegativeNumber)
    .option('--min-cosine <n>', 'also require this cosine similarity per output (e.g. 0.99 for quantized models)', parseNonNegativeNumber)
    .option('--vocab-size <n>', 'generated token ids stay below this (default: vocab_size of the config.json beside the model or its output, else the rows of its input_ids embedding table, else 100)', parsePositiveInteger)
    .option('--python <path>', 'interpreter for --source (default: the managed environment)')
    .option('--json', 'one JSON event per line on stdout, the validation report last')
    .action(async (modelPath: string, options: ValidateCliOptions) => {
      const json = Boolean(options.json);
      const renderer = new ProgressRenderer(ProgressRenderer.chooseMode(json));
      await runCommand(renderer, json, async ({ signal }) => {
        const tolerances: ValidationTolerances = { atol: options.atol, rtol: options.rtol, minCosineSimilarity: options.minCosine };
        let report: ValidationReport;
        if (options.source !== undefined) {
          report = await validateAgainstSource({ modelPath, source: options.source, tolerances, renderer, signal, pythonExecutable: options.python });
        } else {
          const reference = options.against ?? (await siblingExport(modelPath));
          if (reference === undefined) {
            throw new ConversionError('INVALID_MODEL_FILE', `Nothing to validate ${modelPath} against: pass --against <reference.onnx> or --source <original model>.`, { details: { modelPath } });
          }
          const vocabSize = options.vocabSize ?? (await findVocabSize(modelPath));
          report = await drainWithRenderer(
            compareOnnxModelsIter({ referenceModelPath: reference, candidateModelPath: modelPath, tolerances, throwOnFailure: false, vocabSize, signal }),
            renderer,
          );
        }
        renderer.stop();
        if (json) writeJsonResult({ passed: report.passed, report });
        else process.stdout.write(formatValidationReport(report) + '\n');
        return report.passed ? EXIT_CODES.success : EXIT_CODES.validationFailed;
      });
    });
}
