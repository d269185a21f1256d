/** The pipeline stage of float16 conversion. */
import type { ModelVariantStage, ProgressEvent, ValidationTolerances, VariantResult } from '@gpux/converter-core';
import { convertModelToFloat16Iter } from '../fp16/convert-model-to-float16';
import type { ConvertToFloat16Options } from '../fp16/convert-to-float16';
import { toolVersions } from './create-optimization-stage';
import { forwardEvents } from './forward-events';

/** Options of {@link createFloat16Stage}. */
export interface Float16StageOptions extends Omit<ConvertToFloat16Options, 'baseDirectory'> {
  /** Run on the output of another stage (e.g. `'optimize-O2'`) instead of the export. */
  inputFrom?: string;
  /** Run the graph passes (dead nodes, Identity, constant folding, ...) before converting. @default true */
  optimizeGraphFirst?: boolean;
  /**
   * Tolerances of the pipeline's comparison with the float32 export: float16 keeps about three
   * significant digits. @default { atol: 2e-2, rtol: 2e-2, minCosineSimilarity: 0.999 }
   */
  tolerances?: ValidationTolerances;
}

/** The default float16 tolerances. */
export const FLOAT16_TOLERANCES: Readonly<ValidationTolerances> = { atol: 2e-2, rtol: 2e-2, minCosineSimilarity: 0.999 };

/**
 * Creates the `ModelVariantStage` that converts each exported file to float16 (phase
 * `'quantize'`, file `<name>_fp16.onnx` as transformers.js names it), keeping float32 inputs and
 * outputs by default. Weights are converted one at a time (see `convertModelToFloat16`), and the
 * output keeps external data when the input had it.
 *
 * @example
 * ```ts
 * await convert({ source: './bert', outputDirectory: './out', variants: [createFloat16Stage({ opBlockList: ['Softmax'] })] });
 * ```
 */
export function createFloat16Stage(options: Float16StageOptions = {}): ModelVariantStage {
  const { inputFrom, optimizeGraphFirst = true, tolerances = FLOAT16_TOLERANCES, ...conversion } = options;
  const settings: Record<string, unknown> = { ...conversion, optimizeGraphFirst };
  return {
    name: 'fp16',
    phase: 'quantize',
    fileSuffix: '_fp16',
    tolerances,
    inputFrom,
    options: settings,
    async *run({ modelPath, outputPath, signal }): AsyncGenerator<ProgressEvent, VariantResult, void> {
      const result = yield* forwardEvents(convertModelToFloat16Iter(modelPath, outputPath, { ...conversion, optimizeGraphFirst, signal }));
      return { notes: result.notes, toolVersions: toolVersions(), details: { float16: result.report } };
    },
  };
}
