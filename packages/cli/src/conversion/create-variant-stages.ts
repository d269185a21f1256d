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

/** Builds one quantization or fp16 stage (`--quantize int8,fp16,...`), reading the stage `inputFrom` when given. */
export function createQuantizationStage(mode: QuantizationMode, inputFrom?: string): ModelVariantStage {
  const options = inputFrom === undefined ? {} : { inputFrom };
  if (mode === 'fp16') return createFloat16Stage(options);
  return withAccuracyBudget(mode, inputFrom);
}

/**
 * An integer quantization stage whose variant must stay within the mode's cosine tolerance of fp32:
 * when it does not, the optimizer keeps the most sensitive nodes in float until it does (its
 * `accuracyBudget`). The budget's check runs on generated token ids below the model's vocabulary size,
 * read from the embedding table when the stage runs.
 */
function withAccuracyBudget(mode: Exclude<QuantizationMode, 'fp16'>, inputFrom: string | undefined): ModelVariantStage {
  const budget = { minCosineSimilarity: QUANTIZATION_TOLERANCES[mode].minCosineSimilarity ?? 0.99 };
  const template = createQuantizerStage(mode, { ...(inputFrom === undefined ? {} : { inputFrom }), accuracyBudget: budget });
  return {
    name: template.name,
    phase: template.phase,
    fileSuffix: template.fileSuffix,
    ...(template.tolerances === undefined ? {} : { tolerances: template.tolerances }),
    ...(template.options === undefined ? {} : { options: template.options }),
    ...(inputFrom === undefined ? {} : { inputFrom }),
    async *run(input) {
      const vocabSize = await embeddingVocabSize(input.modelPath);
      const stage = createQuantizerStage(mode, { accuracyBudget: budget, ...(vocabSize === undefined ? {} : { vocabSize }) });
      return yield* stage.run(input);
    },
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
