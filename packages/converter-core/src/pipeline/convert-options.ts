import type { ModelManager } from '@gpux/model-manager';
import type { ConverterAdapter, ModelSource, PythonSettings, TensorSpec } from '../adapter';
import type { ProgressCallback } from '../progress-event';
import type { PythonScriptRunner } from '../python/run-python-script';
import type { ConversionReport } from '../report/conversion-report';
import type { ValidationTolerances } from '../validation/validation-tolerances';
import type { ConversionCacheLike } from './conversion-cache-like';
import type { ModelVariantStage } from './model-variant-stage';
import type { FrameworkChoice } from './select-adapter';

/** Options of {@link convertIter} and {@link convert}. */
export interface ConvertOptions {
  /** A registry id (`org/name`, `org/name@revision`), a local model file or directory, or a {@link ModelSource}. */
  source: string | ModelSource;
  /** Adapters, asked in order which one recognises the source. */
  adapters: readonly ConverterAdapter[];
  /** Registries for non-local ids; the first whose `canHandle` accepts the id pulls it. @default [] */
  modelManagers?: readonly ModelManager[];
  /** Restrict detection to one framework's adapters. @default "auto" */
  framework?: FrameworkChoice;
  /** Directory to write the result into. Optional when `cache` is given (the result then stays in the cache). */
  outputDirectory?: string;
  /** Replace a non-empty `outputDirectory`. @default false */
  overwrite?: boolean;
  task?: string;
  opset?: number;
  inputSpec?: TensorSpec[];
  /** @default false */
  trustRemoteCode?: boolean;
  adapterOptions?: Record<string, unknown>;
  python?: PythonSettings;
  /** Validate the export against the source framework and each variant against the export. @default true */
  validate?: boolean;
  /** Tolerances of the export's validation. @default `{ atol: 1e-4, rtol: 1e-3 }` */
  tolerances?: ValidationTolerances;
  /**
   * Fix these symbolic dims to sizes (`{ batch_size: 1, sequence_length: 128 }`) in the exported
   * files, and so in every variant: the model is validated against the source at exactly these
   * sizes, and gpux.yml and the report record them. Static inputs are what GPUX 0.1.1 can run, and
   * what TensorRT, CoreML and NNAPI prefer. A name that no input has is a RangeError.
   */
  staticShapes?: Record<string, number>;
  /** Optimization and quantization stages, run in order on each exported file. @default [] */
  variants?: readonly ModelVariantStage[];
  /** The conversion cache (`new ConversionCache()` from @gpux/model-manager). */
  cache?: ConversionCacheLike;
  /** Ignore a cached result and convert again (the new result replaces it). @default false */
  force?: boolean;
  /**
   * Run the adapter's Python export on these warm workers (`new PythonWorkerPool()`) instead of a
   * one-shot child; `convertBatchIter` passes its pool here. The result is the same. @default a one-shot child
   */
  pythonWorkers?: PythonScriptRunner;
  signal?: AbortSignal;
}

/** What a conversion returns. */
export interface ConversionResult {
  /** The directory holding `onnx/`, the configs, `gpux.yml` and `conversion-report.json`. */
  directory: string;
  /** Absolute path of the main ONNX file. */
  modelPath: string;
  reportPath: string;
  gpuxConfigPath: string;
  report: ConversionReport;
  /** True when the result came from the conversion cache. */
  cached: boolean;
  /** The cache entry directory, when a cache was used. */
  cacheDirectory?: string;
}

/** Options of {@link convert}. */
export type ConvertCallbackOptions = ConvertOptions & { onProgress?: ProgressCallback };
