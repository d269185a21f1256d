import { ConversionError, type ModelVariantStage } from '@gpux/converter-core';
import * as optimizer from '@gpux/optimizer';
import type { OptimizationLevel, QuantizationMode } from '../parse-option-values';

/** The stage factories the CLI expects from `@gpux/optimizer`. */
interface OptimizerStageFactories {
  createOptimizationStage?: (options: { level: OptimizationLevel }) => ModelVariantStage;
  createQuantizationStage?: (mode: Exclude<QuantizationMode, 'fp16'>, options?: Record<string, unknown>) => ModelVariantStage;
  createFloat16Stage?: (options?: Record<string, unknown>) => ModelVariantStage;
}

// The optimizer's factories are looked up by name, so this CLI builds against any version of it and
// says clearly which feature the installed one lacks.
const factories = optimizer as unknown as OptimizerStageFactories;

function missing(name: keyof OptimizerStageFactories, feature: string): ConversionError {
  return new ConversionError('UNSUPPORTED_FORMAT', `${feature} is not available: the installed @gpux/optimizer has no ${name}(). Update @gpux/optimizer, or leave out the option.`, {
    details: { factory: name },
  });
}

/** Builds one optimization stage (`--optimize O1..O4`). */
export function createOptimizationStage(level: OptimizationLevel): ModelVariantStage {
  if (factories.createOptimizationStage === undefined) throw missing('createOptimizationStage', `Graph optimization ${level}`);
  return factories.createOptimizationStage({ level });
}

/** Builds one quantization or fp16 stage (`--quantize int8,fp16,...`), reading `inputFrom` when given. */
export function createQuantizationStage(mode: QuantizationMode, inputFrom?: string): ModelVariantStage {
  const options = inputFrom === undefined ? {} : { inputFrom };
  let stage: ModelVariantStage;
  if (mode === 'fp16') {
    if (factories.createFloat16Stage === undefined) throw missing('createFloat16Stage', 'fp16 conversion');
    stage = factories.createFloat16Stage(options);
  } else {
    if (factories.createQuantizationStage === undefined) throw missing('createQuantizationStage', `${mode} quantization`);
    // The pipeline (and the quantize command) compare the variant with fp32 themselves, with the
    // model's vocabulary size; the stage's own check would repeat that on ids the model may not know.
    stage = factories.createQuantizationStage(mode, { ...options, validate: false });
  }
  return inputFrom === undefined || stage.inputFrom === inputFrom ? stage : readingFrom(stage, inputFrom);
}

/** The same stage, run on the output of the stage named `inputFrom`. */
function readingFrom(stage: ModelVariantStage, inputFrom: string): ModelVariantStage {
  return {
    name: stage.name,
    phase: stage.phase,
    fileSuffix: stage.fileSuffix,
    ...(stage.tolerances === undefined ? {} : { tolerances: stage.tolerances }),
    ...(stage.options === undefined ? {} : { options: stage.options }),
    inputFrom,
    run: (input) => stage.run(input),
  };
}

/**
 * The variant stages of `--optimize` and `--quantize`: the optimized model first (O0 adds none), then
 * each quantized variant, derived from the optimized model when there is one (as Optimum does).
 */
export function createVariantStages(level: OptimizationLevel | undefined, modes: readonly QuantizationMode[]): ModelVariantStage[] {
  const stages: ModelVariantStage[] = [];
  const optimization = level === undefined || level === 'O0' ? undefined : createOptimizationStage(level);
  if (optimization !== undefined) stages.push(optimization);
  for (const mode of modes) stages.push(createQuantizationStage(mode, optimization?.name));
  return stages;
}
