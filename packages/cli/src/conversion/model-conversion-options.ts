/** The per-model conversion options: one definition for `convert`, `batch`, batch files and queued jobs. */
import type { ConvertOptions } from '@gpux/converter-core';
import type { OptimizationLevel, PrecisionVariant } from '@gpux/optimizer';
import { Command, Option } from 'commander';
import {
  parseCosineSimilarity,
  parseFramework,
  parseNonNegativeNumber,
  parseOptimizationLevel,
  parsePositiveInteger,
  parseQuantizationModes,
  parseStaticShapesOption,
} from '../parse-option-values';
import { createVariantStages } from './create-variant-stages';

/** The parsed per-model flags (commander's camelCase names), as `convert`, a batch line or a manifest entry gives them. */
export interface ModelConversionCliOptions {
  framework?: 'pytorch' | 'tensorflow' | 'onnx' | 'auto';
  task?: string;
  opset?: number;
  optimize?: OptimizationLevel;
  quantize?: PrecisionVariant[];
  staticShapes?: Record<string, number>;
  minCosine?: number;
  atol?: number;
  rtol?: number;
  validate?: boolean;
  trustRemoteCode?: boolean;
}

/** What {@link modelConversionOptions} sets on a conversion. */
export type ModelConversionOptions = Pick<ConvertOptions, 'framework' | 'task' | 'opset' | 'staticShapes' | 'tolerances' | 'trustRemoteCode' | 'validate' | 'variants'>;

/**
 * Adds the per-model flags to a command: `convert`, `batch` (for every model) and the parser of
 * batch-file lines all call this, so a new per-model flag is declared here once. No flag has a
 * default value (commander's `--no-validate` aside), so an option set can be layered over another.
 */
export function addModelConversionOptions(command: Command): Command {
  return command
    .addOption(new Option('--framework <name>', 'source framework: pt, tf, onnx or auto (default: auto)').argParser(parseFramework))
    .option('--task <task>', 'task to export for (e.g. feature-extraction, text-classification); default: inferred')
    .option('--opset <n>', 'ONNX opset to export with (default: the adapter\'s, 18 for PyTorch)', parsePositiveInteger)
    .option('--optimize <level>', 'graph optimization level O0..O4 (Optimum\'s meaning: O1 basic, O2 + transformer fusions, O3 + approximate GELU, O4 + fp16)', parseOptimizationLevel)
    .option('--quantize <modes>', 'comma list of variants: int8, uint8, q8 (model_quantized), fp16, q4', parseQuantizationModes)
    .option('--static-shapes <dims>', 'fix symbolic dims in the graph and every variant, e.g. batch_size=1,sequence_length=128 (validated at exactly those sizes; GPUX 0.1.1 and TensorRT/CoreML need static inputs)', parseStaticShapesOption)
    .option('--min-cosine <n>', 'accuracy budget of int8/uint8/q8/q4 variants: least cosine similarity to fp32 (default 0.99, q4 0.98); lower keeps fewer nodes in fp32, so smaller files', parseCosineSimilarity)
    .option('--atol <n>', 'absolute tolerance of the export\'s validation (default 1e-4)', parseNonNegativeNumber)
    .option('--rtol <n>', 'relative tolerance of the export\'s validation (default 1e-3)', parseNonNegativeNumber)
    .option('--no-validate', 'skip validation against the source framework and of the variants')
    .option('--trust-remote-code', 'allow models that need their own Python code (runs code from the model repository)');
}

/** The option names {@link addModelConversionOptions} declares, read from the flags themselves. */
const MODEL_OPTION_NAMES: readonly string[] = addModelConversionOptions(new Command()).options.map((option) => option.attributeName());

/**
 * The per-model options among a command's parsed options (which also hold `--output`, `--json`, ...).
 * `validate` is kept only when it is `false`: commander fills in `true` when `--no-validate` is
 * absent, and that must not override an earlier layer's `false`.
 */
export function pickModelConversionOptions(options: object): ModelConversionCliOptions {
  const picked: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined || !MODEL_OPTION_NAMES.includes(key)) continue;
    if (key === 'validate' && value !== false) continue;
    picked[key] = value;
  }
  return picked;
}

/**
 * The conversion options the per-model flags stand for: framework, task, opset, static shapes,
 * tolerances, validation and the variant stages of `--optimize`/`--quantize` (with `--min-cosine`'s
 * accuracy budget). An unset option is left out rather than set to undefined: a batch spreads a
 * job's fields over its defaults, where an undefined value would replace the default, and an
 * empty `tolerances` object would change the conversion cache key.
 *
 * @example
 * ```ts
 * const options = modelConversionOptions({ optimize: 'O2', quantize: ['int8'], minCosine: 0.98 });
 * options.variants?.map((stage) => stage.name); // ['optimize-O2', 'quantize-int8']
 * ```
 */
export function modelConversionOptions(options: ModelConversionCliOptions): ModelConversionOptions {
  const tolerances = options.atol === undefined && options.rtol === undefined ? undefined : { atol: options.atol, rtol: options.rtol };
  return {
    ...(options.framework === undefined ? {} : { framework: options.framework }),
    ...(options.task === undefined ? {} : { task: options.task }),
    ...(options.opset === undefined ? {} : { opset: options.opset }),
    ...(options.staticShapes === undefined ? {} : { staticShapes: options.staticShapes }),
    ...(tolerances === undefined ? {} : { tolerances }),
    trustRemoteCode: options.trustRemoteCode === true,
    validate: options.validate ?? true,
    variants: createVariantStages(options.optimize, options.quantize ?? [], { minCosineSimilarity: options.minCosine }),
  };
}
