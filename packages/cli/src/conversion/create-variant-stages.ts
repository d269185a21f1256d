import type { ModelVariantStage } from '@gpux/converter-core';
import {
  createFloat16Stage,
  createOptimizationStage as createOptimizerStage,
  createQuantizationStage as createQuantizerStage,
  QUANTIZATION_TOLERANCES,
} from '@gpux/optimizer';
import type { OptimizationLevel, PrecisionVariant } from '@gpux/optimizer';

/** Builds one optimization stage (`--optimize O1..O4`), written as `model_optimized.onnx`. */
export function createOptimizationStage(level: OptimizationLevel): ModelVariantStage {
  return createOptimizerStage({ level });
}

/** Options of the CLI's quantization stages. */
export interface QuantizationStageChoices {
  /**
   * The accuracy budget (`--min-cosine`): the least cosine similarity to fp32 an integer variant
   * may have. Lower trades accuracy for size (fewer nodes kept in float); the variant's validation
   * uses the same bound. @default the mode's tolerance (0.99 for int8/uint8/q8, 0.98 for q4)
   */
  minCosineSimilarity?: number;
}

/**
 * Builds one quantization or fp16 stage (`--quantize int8,fp16,...`), reading the stage `inputFrom`
 * when given. An integer variant must stay within the mode's cosine tolerance of fp32 (or
 * `minCosineSimilarity`): when it does not, the optimizer keeps the most sensitive nodes in float
 * until it does (its `accuracyBudget`), checked on token ids below the vocabulary size the
 * optimizer's stage finds for its input model.
 */
export function createQuantizationStage(mode: PrecisionVariant, inputFrom?: string, choices: QuantizationStageChoices = {}): ModelVariantStage {
  if (mode === 'fp16') return createFloat16Stage({ inputFrom });
  const { minCosineSimilarity } = choices;
  const accuracyBudget = { minCosineSimilarity: minCosineSimilarity ?? QUANTIZATION_TOLERANCES[mode].minCosineSimilarity ?? 0.99 };
  const tolerances = minCosineSimilarity === undefined ? undefined : { ...QUANTIZATION_TOLERANCES[mode], minCosineSimilarity };
  return createQuantizerStage(mode, { inputFrom, accuracyBudget, tolerances });
}

/**
 * The variant stages of `--optimize` and `--quantize`: the optimized model first (O0 adds none), then
 * each quantized variant, derived from the optimized model when there is one (as Optimum does).
 */
export function createVariantStages(level: OptimizationLevel | undefined, modes: readonly PrecisionVariant[], choices: QuantizationStageChoices = {}): ModelVariantStage[] {
  const stages: ModelVariantStage[] = [];
  const optimization = level === undefined || level === 'O0' ? undefined : createOptimizationStage(level);
  if (optimization !== undefined) stages.push(optimization);
  for (const mode of modes) stages.push(createQuantizationStage(mode, optimization?.name, choices));
  return stages;
}
