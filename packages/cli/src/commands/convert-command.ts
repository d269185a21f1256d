import path from 'node:path';
import { convertIter, gpuxDynamicInputWarning, holdsConversionOutput, type ConvertOptions } from '@gpux/converter-core';
import { ConversionCache } from '@gpux/model-manager';
import type { Command } from 'commander';
import { createAdapters } from '../conversion/create-adapters';
import { EXIT_CODES } from '../exit-codes';
import { addModelConversionOptions, modelConversionOptions, type ModelConversionCliOptions } from '../conversion/model-conversion-options';
import { createModelManagers } from '../create-model-managers';
import { drainWithRenderer, writeJsonResult } from '../drain-with-renderer';
import { formatSummaryTable, summarizeConversion } from '../output/conversion-summary';
import { describeAccuracyBudget } from '../output/describe-accuracy-budget';
import { ProgressRenderer } from '../output/progress-renderer';
import { parsePositiveInteger } from '../parse-option-values';
import { runCommand } from '../run-command';

interface ConvertCliOptions extends ModelConversionCliOptions {
  output?: string;
  overwrite?: boolean;
  force?: boolean;
  json?: boolean;
  cacheDir?: string;
  hubUrl?: string;
  token?: string;
  offline?: boolean;
  python?: string;
  latency: boolean;
  latencyRuns: number;
}

/** `gpux-convert convert <source>`: export, validate, optimize, quantize, report. */
export function registerConvertCommand(program: Command): void {
  const command = program
    .command('convert')
    .description('Convert a model (hub id, local directory or model file) to validated ONNX, with optional optimized and quantized variants.')
    .argument('<source>', 'hub id (org/name[@revision], hf:org/name), a model directory, or a file: .onnx .pt .pt2 .keras .h5 .pb .tflite model.json, or a SavedModel directory');
  addModelConversionOptions(command)
    .option('-o, --output <dir>', 'write the result here (default: it stays in the conversion cache; the path is printed)')
    .option('--overwrite', 'replace a non-empty --output directory (a previous gpux-convert result is replaced without it)')
    .option('--force', 'ignore a cached result and convert again (the new result replaces it)')
    .option('--json', 'one JSON event per line on stdout, the result object last')
    .option('--cache-dir <dir>', 'conversion cache directory (default: $GPUX_CACHE_DIR/conversions, i.e. ~/.cache/gpux/conversions); the Python environments stay under $GPUX_CACHE_DIR')
    .option('--hub-url <url>', 'Hugging Face hub endpoint (default: $HF_ENDPOINT or https://huggingface.co)')
    .option('--token <token>', 'hub access token (default: $HF_TOKEN or the huggingface-cli token file)')
    .option('--offline', 'use only the local hub cache (also HF_HUB_OFFLINE=1)')
    .option('--python <path>', 'run the export with this interpreter instead of the managed environment (also $GPUX_PYTHON)')
    .option('--no-latency', 'do not time the models on onnxruntime-node for the summary')
    .option('--latency-runs <n>', 'timed runs per model for the summary\'s median latency', parsePositiveInteger, 10)
    .action(async (source: string, options: ConvertCliOptions) => {
      const json = Boolean(options.json);
      const renderer = new ProgressRenderer(ProgressRenderer.chooseMode(json));
      await runCommand(renderer, json, async ({ signal }) => {
        const cache = new ConversionCache({ directory: options.cacheDir });
        const outputDirectory = options.output === undefined ? undefined : path.resolve(options.output);
        const overwrite = options.overwrite === true || (outputDirectory !== undefined && (await holdsConversionOutput(outputDirectory)));
        const convertOptions: ConvertOptions = {
          source,
          adapters: createAdapters(),
          modelManagers: createModelManagers(options),
          ...modelConversionOptions(options),
          outputDirectory,
          overwrite,
          ...(options.python === undefined ? {} : { python: { pythonExecutable: options.python } }),
          cache,
          force: options.force === true,
          signal,
        };
        const result = await drainWithRenderer(convertIter(convertOptions), renderer);
        if (result.cached) {
          renderer.log(`Cached: this conversion was done before (${result.report.createdAt}); nothing was exported. Pass --force to convert again.`);
        }
        const summary = await summarizeConversion(result.directory, result.report, {
          measure: options.latency,
          runs: options.latencyRuns,
          signal,
          onModel: (modelPath) => renderer.startStep(`latency ${modelPath}`),
        });
        // The bars go before the results are printed, so nothing redraws over the table.
        renderer.stop();
        if (json) {
          writeJsonResult({
            cached: result.cached,
            directory: result.directory,
            modelPath: result.modelPath,
            reportPath: result.reportPath,
            gpuxConfigPath: result.gpuxConfigPath,
            cacheDirectory: result.cacheDirectory,
            summary,
            report: result.report,
          });
          return variantsFailedExit(result.report);
        }
        const lines = [
          '',
          `${result.cached ? 'Cached conversion' : 'Converted'} ${result.report.source.id ?? result.report.source.path} (${result.report.framework}, ${result.report.detection.format}, task ${result.report.task}, opset ${result.report.opset})`,
          `Output: ${result.directory}`,
          '',
          formatSummaryTable(summary),
        ];
        const mainModel = result.report.models.find((model) => model.variant === 'fp32') ?? result.report.models[0];
        const gpuxWarning = mainModel === undefined ? undefined : gpuxDynamicInputWarning(mainModel.inputs);
        const budgetLines = describeAccuracyBudget(result.report);
        if (budgetLines.length > 0) lines.push('', ...budgetLines);
        if (gpuxWarning !== undefined) lines.push('', `Note: ${gpuxWarning}`);
        const failed = result.report.validation.filter((entry) => entry.status === 'failed');
        if (failed.length > 0) lines.push('', `Validation failed for: ${failed.map((entry) => entry.path).join(', ')} (see conversion-report.json)`);
        process.stdout.write(lines.join('\n') + '\n');
        for (const entry of failed) {
          process.stderr.write(`error [${entry.code ?? 'VALIDATION_FAILED'}]: variant ${entry.variant} (${entry.path}) was left out${entry.node === undefined ? '' : ` (node ${entry.node})`}: ${entry.reason ?? 'validation failed'}\n`);
        }
        return variantsFailedExit(result.report);
      });
    });
}

/** Exit 12 when variants failed validation (the export and the other variants were written), else 0. */
function variantsFailedExit(report: { validation: ReadonlyArray<{ status: string }> }): number {
  return report.validation.some((entry) => entry.status === 'failed') ? EXIT_CODES.variantsFailed : EXIT_CODES.success;
}
