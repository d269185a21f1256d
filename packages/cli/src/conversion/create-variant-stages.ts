import type { ModelVariantStage } from '@gpux/converter-core';
import {
  createFloat16Stage,
  createOptimizationStage as createOptimizerStage,
  createQuantizationStage as createQuantizerStage,
} from '@gpux/optimizer';
import type { OptimizationLevel, QuantizationMode } from '../parse-option-values';

/** Builds one optimization stage (`--optimize O1..O4`), written as `model_optimized.onnx`. */
export function createOptimizationStage(level: OptimizationLevel): ModelVariantStage {
  return createOptimizerStage({ level });
}

/** Builds one quantization or fp16 stage (`--quantize int8,fp16,...`), reading the stage `inputFrom` when given. */
export function createQuantizationStage(mode: QuantizationMode, inputFrom?: string): ModelVariantStage {
  const options = inputFrom === undefined ? {} : { inputFrom };
  if (mode === 'fp16') return createFloat16Stage(options);
  // The pipeline (and the quantize command) compare the variant with fp32 themselves, with the
  // model's vocabulary size; the stage's own check would repeat that on ids the model may not know.
  return createQuantizerStage(mode, { ...options, validate: false });
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
