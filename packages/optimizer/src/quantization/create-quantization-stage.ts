/** The pipeline stage of a quantization mode (converter-core's ModelVariantStage). */
import { findVocabSize, type ModelVariantStage, type ProgressEvent, type ValidationTolerances, type VariantResult } from '@gpux/converter-core';
import type { QuantizationMode, QuantizeModelOptions } from './quantization-options';
import { quantizeModelIter } from './quantize-model';

/** File suffix of each mode, as transformers.js names variants (`model` + suffix + `.onnx`). */
export const QUANTIZATION_FILE_SUFFIXES: Readonly<Record<QuantizationMode, string>> = {
  q8: '_quantized',
  int8: '_int8',
  uint8: '_uint8',
  q4: '_q4',
  'static-int8': '_int8_static',
};

/**
 * Default comparison tolerances of each mode. Element-wise limits are loose (8-bit outputs move by
 * a few hundredths of their range); cosine similarity is what catches a broken variant.
 */
export const QUANTIZATION_TOLERANCES: Readonly<Record<QuantizationMode, ValidationTolerances>> = {
  q8: { atol: 1, rtol: 0.1, minCosineSimilarity: 0.99 },
  int8: { atol: 1, rtol: 0.1, minCosineSimilarity: 0.99 },
  uint8: { atol: 1, rtol: 0.1, minCosineSimilarity: 0.99 },
  'static-int8': { atol: 1, rtol: 0.2, minCosineSimilarity: 0.98 },
  q4: { atol: 2, rtol: 0.2, minCosineSimilarity: 0.98 },
};

/** Options of {@link createQuantizationStage}: everything of quantizeModel but the mode and signal. */
export type QuantizationStageOptions = Omit<QuantizeModelOptions, 'mode' | 'signal' | 'workDirectory'> & {
  /** Overrides the mode's default tolerances for the pipeline's comparison. */
  tolerances?: ValidationTolerances;
  /** Run on another stage's output (e.g. `optimize-O2`). */
  inputFrom?: string;
};

/**
 * Builds the stage that writes `<name><suffix>.onnx` for a quantization mode. The pipeline compares
 * its output with the exported model using the mode's tolerances. Without a `vocabSize` option, the
 * token ids of generated inputs stay below the vocabulary size {@link findVocabSize} finds for the
 * stage's input model (the default 100 when it finds none).
 *
 * @throws {TypeError} for an unknown mode.
 * @example
 * ```ts
 * await convert({ source: './bert', variants: [createQuantizationStage('q8'), createQuantizationStage('q4', { blockSize: 32 })] });
 * ```
 */
export function createQuantizationStage(mode: QuantizationMode, options: QuantizationStageOptions = {}): ModelVariantStage {
  const suffix = QUANTIZATION_FILE_SUFFIXES[mode];
  if (suffix === undefined) throw new TypeError(`createQuantizationStage: mode must be one of ${Object.keys(QUANTIZATION_FILE_SUFFIXES).join(', ')}, got ${JSON.stringify(mode)}.`);
  const { tolerances, inputFrom, ...quantizeOptions } = options;
  const recorded: Record<string, unknown> = { mode, ...quantizeOptions };
  delete recorded.calibration;
  delete recorded.validationInputs;
  return {
    name: `quantize-${mode}`,
    phase: 'quantize',
    fileSuffix: suffix,
    tolerances: tolerances ?? QUANTIZATION_TOLERANCES[mode],
    inputFrom,
    options: recorded,
    async *run({ modelPath, outputPath, workDirectory, signal }): AsyncGenerator<ProgressEvent, VariantResult, void> {
      const vocabSize = quantizeOptions.vocabSize ?? (await findVocabSize(modelPath));
      const result = yield* quantizeModelIter(modelPath, outputPath, { ...quantizeOptions, mode, workDirectory, vocabSize, signal });
      return {
        notes: result.notes,
        details: {
          mode: result.mode,
          format: result.format,
          weightType: result.weightType,
          quantizedNodes: result.quantizedNodes.length,
          skippedNodes: result.skippedNodes,
          keptInFloat: result.keptInFloat,
          keptInFloatCosts: result.keptInFloatCosts,
          accuracy: result.accuracy,
          inputBytes: result.inputBytes,
          outputBytes: result.outputBytes,
        },
      };
    },
  };
}
