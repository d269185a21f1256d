/** Runs ONNX files in onnxruntime-node (an optional peer, loaded on first use) and makes inputs for them. */
import { createRequire } from 'node:module';
import type * as OnnxRuntime from 'onnxruntime-node';
import { ConversionError } from '@gpux/converter-core';
import type { QuantizationFeeds, QuantizationTensor } from './quantization-options';

let runtime: typeof OnnxRuntime | undefined;

/**
 * The onnxruntime-node module.
 *
 * @throws {ConversionError} RUNTIME_MISSING when it is not installed.
 */
export function loadRuntime(): typeof OnnxRuntime {
  if (runtime !== undefined) return runtime;
  try {
    runtime = createRequire(__filename)('onnxruntime-node') as typeof OnnxRuntime;
  } catch (error) {
    throw new ConversionError('RUNTIME_MISSING', 'Quantization checks run the model in onnxruntime-node: npm install onnxruntime-node', { cause: error });
  }
  return runtime;
}

/** An input's name, element type and shape as the session reports them. */
export interface ModelInputSpec {
  name: string;
  type: string;
  shape: Array<number | string>;
}

/**
 * Opens a CPU session with graph optimizations off, so the graph runs as written.
 *
 * @throws {ConversionError} INVALID_MODEL_FILE when onnxruntime refuses the model.
 */
export async function openSession(modelPath: string): Promise<OnnxRuntime.InferenceSession> {
  const ort = loadRuntime();
  try {
    return await ort.InferenceSession.create(modelPath, { executionProviders: ['cpu'], graphOptimizationLevel: 'disabled', logSeverityLevel: 3 });
  } catch (error) {
    throw new ConversionError('INVALID_MODEL_FILE', `onnxruntime-node could not load ${modelPath}: ${error instanceof Error ? error.message : String(error)}`, { cause: error, details: { path: modelPath } });
  }
}

/** The inputs of a session. */
export function sessionInputs(session: OnnxRuntime.InferenceSession): ModelInputSpec[] {
  return session.inputMetadata.map((metadata) => ({
    name: metadata.name,
    type: metadata.isTensor ? metadata.type : 'float32',
    shape: metadata.isTensor ? [...metadata.shape].map((dimension) => (typeof dimension === 'number' ? dimension : String(dimension))) : [],
  }));
}

/** Runs one set of feeds and returns the named outputs as float64 copies with their shapes. */
export async function runFeeds(session: OnnxRuntime.InferenceSession, feeds: QuantizationFeeds, outputNames?: string[]): Promise<Map<string, { shape: number[]; values: Float64Array }>> {
  const ort = loadRuntime();
  const ortFeeds: Record<string, OnnxRuntime.Tensor> = {};
  for (const name of session.inputNames) {
    const tensor = feeds[name];
    if (tensor === undefined) throw new TypeError(`The feeds have no value for model input "${name}" (they have ${Object.keys(feeds).join(', ')}).`);
    ortFeeds[name] = new ort.Tensor(tensor.dtype, tensor.data as Float32Array, tensor.shape);
  }
  const results = await session.run(ortFeeds, outputNames ?? session.outputNames);
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

function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

function dimensionSize(dimension: number | string, dims: Record<string, number>): number {
  if (typeof dimension === 'number' && dimension >= 0) return dimension;
  const name = String(dimension);
  if (dims[name] !== undefined) return dims[name];
  if (/batch/i.test(name)) return 2;
  if (/seq|length|token|position/i.test(name)) return 8;
  if (/height|width/i.test(name)) return 32;
  return 2;
}

/**
 * Deterministic feeds: token ids (names with `ids`) in [0, vocabSize), attention masks of ones,
 * token types zero, position ids 0..n-1, floats standard-normal, other integers in {0, 1}.
 */
export function generateFeeds(inputs: readonly ModelInputSpec[], options: { seed?: number; dims?: Record<string, number>; vocabSize?: number } = {}): QuantizationFeeds {
  const random = seededRandom(options.seed ?? 0);
  const vocabSize = options.vocabSize ?? 100;
  const feeds: QuantizationFeeds = {};
  for (const input of inputs) {
    const shape = input.shape.map((dimension) => dimensionSize(dimension, options.dims ?? {}));
    const count = shape.reduce((product, size) => product * size, 1);
    const lower = input.name.toLowerCase();
    const width = shape[shape.length - 1] ?? 1;
    let tensor: QuantizationTensor;
    if (input.type === 'int64' || input.type === 'int32') {
      const values = Array.from({ length: count }, (_, index) => {
        if (/position/.test(lower)) return index % width;
        if (/mask/.test(lower)) return 1;
        if (/type/.test(lower)) return 0;
        if (/ids/.test(lower)) return Math.floor(random() * vocabSize);
        return Math.floor(random() * 2);
      });
      tensor = input.type === 'int64' ? { dtype: 'int64', shape, data: BigInt64Array.from(values, BigInt) } : { dtype: 'int32', shape, data: Int32Array.from(values) };
    } else if (input.type === 'bool') {
      tensor = { dtype: 'bool', shape, data: new Uint8Array(count).fill(1) };
    } else {
      const data = new Float32Array(count);
      for (let index = 0; index < count; index += 1) data[index] = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
      tensor = { dtype: 'float32', shape, data };
    }
    feeds[input.name] = tensor;
  }
  return feeds;
}
