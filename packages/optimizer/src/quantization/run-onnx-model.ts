/**
 * Runs ONNX files in onnxruntime-node for the quantization checks and calibration, on top of
 * converter-core's runtime loader, session factory and input generator (one implementation of
 * each for the whole project).
 */
import {
  ConversionError,
  createInferenceSession,
  generateInputs,
  hostTensorToOrt,
  loadOnnxRuntime,
  sessionInputSpecs,
  type TensorSpec,
} from '@gpux/converter-core';
import { isDimExpression } from '@gpux/onnx';
import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import type { QuantizationFeeds } from './quantization-options';

/** An input's name, element type and shape as the session reports them. */
export type ModelInputSpec = TensorSpec;

/**
 * Opens a CPU session with graph optimizations off, so the graph runs as written; with
 * `exactInt8` (a quantized candidate), int8 products run without the saturation of x86 CPUs that
 * lack VNNI (converter-core's `createInferenceSession`).
 *
 * @throws {ConversionError} INVALID_MODEL_FILE when onnxruntime refuses the model; RUNTIME_MISSING.
 */
export function openSession(modelPath: string, options: { exactInt8?: boolean } = {}): Promise<InferenceSession> {
  return createInferenceSession(modelPath, { graphOptimizationLevel: 'disabled', exactInt8: options.exactInt8 === true });
}

/** The inputs of a session. */
export function sessionInputs(session: InferenceSession): ModelInputSpec[] {
  return sessionInputSpecs(session);
}

/** Runs one set of feeds and returns the named float outputs as float64 copies with their shapes. */
export async function runFeeds(session: InferenceSession, feeds: QuantizationFeeds, outputNames?: string[]): Promise<Map<string, { shape: number[]; values: Float64Array }>> {
  loadOnnxRuntime();
  const ortFeeds: Record<string, OrtTensor> = {};
  for (const name of session.inputNames) {
    const tensor = feeds[name];
    if (tensor === undefined) throw new TypeError(`The feeds have no value for model input "${name}" (they have ${Object.keys(feeds).join(', ')}).`);
    ortFeeds[name] = hostTensorToOrt(tensor);
  }
  let results: InferenceSession.ReturnType;
  try {
    results = await session.run(ortFeeds, outputNames ?? session.outputNames);
  } catch (error) {
    const shapes = Object.entries(feeds).map(([name, tensor]) => `${name}[${tensor.shape.join('x')}]`).join(', ');
    throw new ConversionError(
      'VALIDATION_FAILED',
      `onnxruntime-node could not run the model on the check inputs (${shapes}): ${error instanceof Error ? error.message : String(error)}. ` +
        'For text models pass `vocabSize` (token ids are drawn below it, default 100) or your own `validationInputs`.',
      { cause: error },
    );
  }
  const outputs = new Map<string, { shape: number[]; values: Float64Array }>();
  for (const [name, value] of Object.entries(results)) {
    if (value.type === 'float32' || value.type === 'float64' || value.type === 'float16') {
      const data = value.data as Float32Array | Float64Array;
      outputs.set(name, { shape: value.dims.map(Number), values: Float64Array.from(data) });
    }
    value.dispose();
  }
  return outputs;
}

/**
 * Deterministic feeds from converter-core's {@link generateInputs}: token ids in [0, vocabSize),
 * attention masks (last row half padded), token types zero, position ids 0..n-1, floats
 * standard-normal.
 */
export function generateFeeds(inputs: readonly ModelInputSpec[], options: { seed?: number; dims?: Record<string, number>; vocabSize?: number } = {}): QuantizationFeeds {
  return generateInputs(inputs, { seed: options.seed ?? 0, dims: { ...defaultDims(inputs), ...options.dims }, vocabSize: options.vocabSize });
}

/**
 * Small sizes for symbolic dims the caller did not fix: batch 2, sequence-like 8, image 32, else 2.
 * Derived dims (`past_sequence_length + sequence_length`) are left to generateInputs, which sums
 * their parts, so a decoder's attention mask matches its past and new tokens.
 */
function defaultDims(inputs: readonly ModelInputSpec[]): Record<string, number> {
  const dims: Record<string, number> = {};
  for (const input of inputs) {
    for (const dimension of input.shape) {
      if (typeof dimension !== 'string' || dimension === '' || isDimExpression(dimension)) continue;
      dims[dimension] = /batch/i.test(dimension) ? 2 : /seq|length|token|position/i.test(dimension) ? 8 : /height|width/i.test(dimension) ? 32 : 2;
    }
  }
  return dims;
}
