import type { BatchDefaults } from '@gpux/converter-core';
import { Option, type Command } from 'commander';
import { createVariantStages } from '../conversion/create-variant-stages';
import {
  parseFramework,
  parseNonNegativeNumber,
  parseOptimizationLevel,
  parsePositiveInteger,
  parseQuantizationModes,
  parseStaticShapesOption,
} from '../parse-option-values';
import type { BatchJobCliOptions } from './read-batch-manifest';

/** Layers option sets: later ones win, and an option a set leaves out keeps the earlier value. */
export function mergeJobOptions(...layers: readonly BatchJobCliOptions[]): BatchJobCliOptions {
  const merged: BatchJobCliOptions = {};
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) if (value !== undefined) (merged as Record<string, unknown>)[key] = value;
  }
  return merged;
}

/** The conversion options one batch job's CLI options stand for (as `convert` builds them from its flags). */
export function jobConvertOptions(options: BatchJobCliOptions): Partial<BatchDefaults> {
  const tolerances = { ...(options.atol === undefined ? {} : { atol: options.atol }), ...(options.rtol === undefined ? {} : { rtol: options.rtol }) };
  return {
    ...(options.framework === undefined ? {} : { framework: options.framework }),
    ...(options.task === undefined ? {} : { task: options.task }),
    ...(options.opset === undefined ? {} : { opset: options.opset }),
    ...(options.staticShapes === undefined ? {} : { staticShapes: options.staticShapes }),
    ...(Object.keys(tolerances).length === 0 ? {} : { tolerances }),
    trustRemoteCode: options.trustRemoteCode === true,
    validate: options.validate ?? true,
    variants: createVariantStages(options.optimize, options.quantize ?? []),
  };
}

/** The per-model options of `batch`: on its command line (for every model) and on each line of the batch file. */
export function addJobOptions(command: Command): Command {
  return command
    .addOption(new Option('--framework <name>', 'source framework: pt, tf, onnx or auto').argParser(parseFramework))
    .option('--task <task>', 'task to export for (default: inferred)')
    .option('--opset <n>', 'ONNX opset to export with', parsePositiveInteger)
    .option('--optimize <level>', 'graph optimization level O0..O4', parseOptimizationLevel)
    .option('--quantize <modes>', 'comma list of variants: int8, uint8, q8, fp16, q4', parseQuantizationModes)
    .option('--static-shapes <dims>', 'fix symbolic dims, e.g. batch_size=1,sequence_length=128', parseStaticShapesOption)
    .option('--atol <n>', 'absolute tolerance of the export\'s validation (default 1e-4)', parseNonNegativeNumber)
    .option('--rtol <n>', 'relative tolerance of the export\'s validation (default 1e-3)', parseNonNegativeNumber)
    .option('--no-validate', 'skip validation against the source framework and of the variants')
    .option('--trust-remote-code', 'allow models that need their own Python code');
}
