import type { ModelVariantStage } from '@gpux/converter-core';
import {
  createFloat16Stage,
  createOptimizationStage as createOptimizerStage,
  createQuantizationStage as createQuantizerStage,
  QUANTIZATION_TOLERANCES,
} from '@gpux/optimizer';
import { embeddingVocabSize } from './embedding-vocab-size';
import type { OptimizationLevel, QuantizationMode } from '../parse-option-values';

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

/** Builds one quantization or fp16 stage (`--quantize int8,fp16,...`), reading the stage `inputFrom` when given. */
export function createQuantizationStage(mode: QuantizationMode, inputFrom?: string, choices: QuantizationStageChoices = {}): ModelVariantStage {
  const options = inputFrom === undefined ? {} : { inputFrom };
  if (mode === 'fp16') return createFloat16Stage(options);
  return withAccuracyBudget(mode, inputFrom, choices.minCosineSimilarity);
}

/**
 * An integer quantization stage whose variant must stay within the mode's cosine tolerance of fp32:
 * when it does not, the optimizer keeps the most sensitive nodes in float until it does (its
 * `accuracyBudget`). The budget's check runs on generated token ids below the model's vocabulary size,
 * read from the embedding table when the stage runs.
 */
function withAccuracyBudget(mode: Exclude<QuantizationMode, 'fp16'>, inputFrom: string | undefined, minCosineSimilarity: number | undefined): ModelVariantStage {
  const budget = { minCosineSimilarity: minCosineSimilarity ?? QUANTIZATION_TOLERANCES[mode].minCosineSimilarity ?? 0.99 };
  const tolerances = minCosineSimilarity === undefined ? undefined : { ...QUANTIZATION_TOLERANCES[mode], minCosineSimilarity };
  const template = createQuantizerStage(mode, { ...(inputFrom === undefined ? {} : { inputFrom }), accuracyBudget: budget, ...(tolerances === undefined ? {} : { tolerances }) });
  return {
    name: template.name,
    phase: template.phase,
    fileSuffix: template.fileSuffix,
    ...(template.tolerances === undefined ? {} : { tolerances: template.tolerances }),
    ...(template.options === undefined ? {} : { options: template.options }),
    ...(inputFrom === undefined ? {} : { inputFrom }),
    async *run(input) {
      const vocabSize = await embeddingVocabSize(input.modelPath);
      const stage = createQuantizerStage(mode, { accuracyBudget: budget, ...(vocabSize === undefined ? {} : { vocabSize }), ...(tolerances === undefined ? {} : { tolerances }) });
      return yield* stage.run(input);
    },
  };
}

/**
 * The variant stages of `--optimize` and `--quantize`: the optimized model first (O0 adds none), then
 * each quantized variant, derived from the optimized model when there is one (as Optimum does).
 */
export function createVariantStages(level: OptimizationLevel | undefined, modes: readonly QuantizationMode[], choices: QuantizationStageChoices = {}): ModelVariantStage[] {
  const stages: ModelVariantStage[] = [];
  const optimization = level === undefined || level === 'O0' ? undefined : createOptimizationStage(level);
  if (optimization !== undefined) stages.push(optimization);
  for (const mode of modes) stages.push(createQuantizationStage(mode, optimization?.name, choices));
  return stages;
}
