import type { ProgressEvent } from '../progress-event';
import type { ValidationTolerances } from '../validation/validation-tolerances';

/** What a {@link ModelVariantStage} receives. */
export interface VariantStageInput {
  /** The ONNX file to transform (the exported fp32 model, or the output of `inputFrom`). */
  modelPath: string;
  /** Where to write the variant (`<out>/onnx/<name><fileSuffix>.onnx`); external data goes beside it. */
  outputPath: string;
  /** Scratch directory, removed by the pipeline. */
  workDirectory: string;
  signal?: AbortSignal;
}

/** What a {@link ModelVariantStage} reports. */
export interface VariantResult {
  /** Facts for the report (fused operators, nodes excluded from quantization, ...). */
  notes: string[];
  /** Versions of the tools used (`onnxruntime`, `onnx`, ...). */
  toolVersions?: Record<string, string>;
  /** Stage-specific structured details kept in the report. */
  details?: Record<string, unknown>;
}

/**
 * A transformation that derives a variant from an exported ONNX file: graph optimization or
 * quantization. `@gpux/optimizer` implements these; the pipeline runs each stage on every exported
 * file, then validates the variant against that file with `compareOnnxModels`.
 *
 * Variant files sit beside the export in `<out>/onnx/` and are named `<file name><fileSuffix>.onnx`,
 * following transformers.js: `_fp16`, `_quantized` (dynamic int8, transformers.js `q8`), `_int8`,
 * `_uint8`, `_q4`, `_q4f16`, `_bnb4`; graph optimizations use Optimum's `_optimized`
 * (or e.g. `_O3` when several levels are kept).
 *
 * @example
 * ```ts
 * const fp16: ModelVariantStage = {
 *   name: 'fp16', phase: 'quantize', fileSuffix: '_fp16',
 *   tolerances: { atol: 1e-2, rtol: 1e-2, minCosineSimilarity: 0.999 },
 *   async *run({ modelPath, outputPath }) { ...; return { notes: [] }; },
 * };
 * ```
 */
export interface ModelVariantStage {
  /** Unique name, e.g. `optimize-O2`, `quantize-int8`, `fp16`. */
  readonly name: string;
  /** Which phase the progress events report. */
  readonly phase: 'optimize' | 'quantize';
  /** Appended to the exported file's base name: `model` + `_quantized` -> `model_quantized.onnx`. */
  readonly fileSuffix: string;
  /** Tolerances of the comparison with the exported model (quantized variants need looser ones). */
  readonly tolerances?: ValidationTolerances;
  /** Run on the output of the stage with this name instead of the exported file (e.g. quantize the O2 model). */
  readonly inputFrom?: string;
  /** Options that change the output; part of the conversion cache key. */
  readonly options?: Record<string, unknown>;
  run(input: VariantStageInput): AsyncGenerator<ProgressEvent, VariantResult, void>;
}
