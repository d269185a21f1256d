/** Options and results of {@link quantizeModel}. */
import type { HostTensor, ProgressCallback } from '@gpux/converter-core';
import type { QuantizedIntegerType } from './quantization-math';

/**
 * What to produce, with transformers.js's file names
 * (https://huggingface.co/docs/transformers.js/guides/dtypes):
 * - `'int8'`: dynamic int8, int8 weights (`model_int8.onnx`);
 * - `'uint8'`: dynamic int8, uint8 weights (`model_uint8.onnx`);
 * - `'q8'`: what transformers.js's quantize script calls q8 (`model_quantized.onnx`): dynamic,
 *   int8 weights unless the model has Conv, GroupQueryAttention or MultiHeadAttention nodes, then uint8
 *   (its scripts/quantize.py `QUINT8_OPS`, because onnxruntime-web lacks ConvInteger with int8 weights);
 * - `'q4'`: 4-bit weight-only MatMulNBits (`model_q4.onnx`);
 * - `'static-int8'`: QDQ with activation ranges from calibration data (`model_static_int8.onnx`).
 */
export type QuantizationMode = 'int8' | 'uint8' | 'q8' | 'q4' | 'static-int8';

/**
 * `'qoperator'`: integer operators (DynamicQuantizeLinear + MatMulInteger/ConvInteger + scale Mul),
 * as onnxruntime's `quantize_dynamic` writes them. `'qdq'`: QuantizeLinear/DequantizeLinear pairs in
 * front of the unchanged float operators (runtimes fuse them).
 */
export type QuantizationFormat = 'qoperator' | 'qdq';

/** How static quantization turns calibration statistics into activation ranges. */
export type CalibrationMethod = 'minmax' | 'percentile' | 'entropy';

/** A dense tensor fed to onnxruntime: converter-core's {@link HostTensor}. */
export type QuantizationTensor = HostTensor;

/** One set of model inputs by name. */
export type QuantizationFeeds = Record<string, QuantizationTensor>;

/** Limits a variant must stay within against the fp32 model on the check inputs. */
export interface AccuracyBudget {
  /** Every float output's cosine similarity must be at least this. */
  minCosineSimilarity?: number;
  /** Every float output's largest absolute difference must be at most this. */
  maxAbsDiff?: number;
  /** Outputs with a class axis: the fraction of rows whose argmax agrees must be at least this. */
  minArgmaxAgreement?: number;
}

/** Calibration settings of `'static-int8'`. */
export interface CalibrationOptions {
  /** Representative inputs; when absent, `sampleCount` generated inputs are used (and a note says so). */
  samples?: QuantizationFeeds[];
  /** @default 'minmax' */
  method?: CalibrationMethod;
  /** Percentile of |x| kept by `'percentile'`. @default 99.999 */
  percentile?: number;
  /** Histogram bins for `'percentile'` and `'entropy'`. @default 2048 */
  bins?: number;
  /** Generated samples when `samples` is absent. @default 8 */
  sampleCount?: number;
}

/** Options of {@link quantizeModel}. */
export interface QuantizeModelOptions {
  mode: QuantizationMode;
  /** @default 'qoperator' for the dynamic modes; static-int8 always writes 'qdq'; q4 writes MatMulNBits. */
  format?: QuantizationFormat;
  /** One scale per output channel (MatMul/Gemm columns, Conv output channels). @default false */
  perChannel?: boolean;
  /** 7-bit weights ([-64, 64] / [0, 127]), better on CPUs without VNNI. @default false */
  reduceRange?: boolean;
  /**
   * Op types to quantize. LSTM becomes com.microsoft DynamicQuantizeLSTM with int8 weights in every
   * dynamic mode (as onnxruntime writes it); GRU and RNN have no quantized kernel and stay float32.
   * @default MatMul, Gemm, Conv, Gather, Attention, EmbedLayerNormalization, LSTM (dynamic); MatMul, Gemm, Conv, Gather (static); MatMul (q4)
   */
  opTypes?: string[];
  /** When given, only nodes with these names are quantized. */
  nodesToQuantize?: string[];
  /** Nodes (by name) kept in float. */
  nodesToExclude?: string[];
  /** Op types kept in float (applied after `opTypes`). */
  opTypesToExclude?: string[];
  /** q4: block size along K. @default 32 */
  blockSize?: 32 | 64 | 128;
  /** q4: symmetric blocks (no zero points). @default true */
  symmetric?: boolean;
  /** static-int8 calibration. */
  calibration?: CalibrationOptions;
  /** Check the variant against the fp32 model on generated inputs. @default true */
  validate?: boolean;
  /** Inputs of the accuracy check; generated from the model's inputs when absent. */
  validationInputs?: QuantizationFeeds[];
  /** Sizes of symbolic input dims for generated inputs (by dim name). */
  dims?: Record<string, number>;
  /** Token ids of generated inputs are below this. @default 100 */
  vocabSize?: number;
  /**
   * When set, a variant outside the budget gets nodes put back to float, most sensitive first, until
   * it fits (or nothing is left to put back: then `VALIDATION_FAILED`).
   */
  accuracyBudget?: AccuracyBudget;
  /** Largest number of nodes the budget search may keep in float. @default 32 */
  maxNodesKeptInFloat?: number;
  /**
   * What to do with a model that is already quantized: `'error'` throws `UNSUPPORTED_FORMAT`;
   * `'copy'` writes the input unchanged and says so in the notes.
   * @default 'error'
   */
  onAlreadyQuantized?: 'error' | 'copy';
  /** @default 'auto' (external data when the source had it or the model exceeds 2 GiB) */
  externalData?: 'auto' | boolean;
  /** Scratch folder (calibration and budget copies); a temp folder when absent. */
  workDirectory?: string;
  signal?: AbortSignal;
}

/** A node the run kept in float, and why. */
export interface SkippedNode {
  name: string;
  opType: string;
  reason: string;
}

/** A node the accuracy budget kept in float, and what that costs in file size. */
export interface KeptInFloatCost {
  name: string;
  opType: string;
  /** Bytes of the float32 weights the node keeps (those a quantizer would replace; biases not counted). */
  floatWeightBytes: number;
  /** About how many bytes the file is larger than with the node quantized. */
  extraBytes: number;
  /** The accuracy loss of a variant with only this node quantized (1 - cosine, plus 1 when that alone broke the budget). */
  loss?: number;
}

/** How a variant compares with the fp32 model (worst over outputs and cases). */
export interface VariantAccuracy {
  minCosineSimilarity: number;
  maxAbsDiff: number;
  /** Undefined when no output has a class axis worth an argmax. */
  minArgmaxAgreement?: number;
  cases: number;
}

/** What {@link quantizeModel} did. */
export interface QuantizationResult {
  outputPath: string;
  mode: QuantizationMode;
  format: QuantizationFormat | 'matmulnbits';
  weightType?: QuantizedIntegerType;
  quantizedNodes: Array<{ name: string; opType: string }>;
  /** Nodes of quantizable types left in float (unsupported shapes, excluded, budget). */
  skippedNodes: SkippedNode[];
  /** Nodes the accuracy budget put back to float. */
  keptInFloat: string[];
  /** For each of `keptInFloat`, in the same order: its float32 weight bytes and what keeping it costs. */
  keptInFloatCosts: KeptInFloatCost[];
  accuracy?: VariantAccuracy;
  /** True when the input was already quantized (and `onAlreadyQuantized: 'copy'` copied it). */
  alreadyQuantized: boolean;
  inputBytes: number;
  outputBytes: number;
  notes: string[];
}

/** {@link QuantizeModelOptions} plus a progress callback. */
export type QuantizeModelCallOptions = QuantizeModelOptions & { onProgress?: ProgressCallback };
