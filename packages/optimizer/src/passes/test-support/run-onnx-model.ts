/** Test helper: runs an in-memory model in onnxruntime-node and returns plain outputs. */
import type { ModelProto } from '@gpux/onnx';
import { serializeOnnxModel } from '@gpux/onnx';
import * as ort from 'onnxruntime-node';

/** A test input: values and dims (float32 unless `type` says otherwise). */
export interface TestFeed {
  type?: 'float32' | 'int64' | 'int32' | 'float16' | 'bool';
  data: Float32Array | BigInt64Array | Int32Array | Uint16Array | Uint8Array;
  dims: number[];
}

/** Runs `model` (or ONNX file bytes/path) and returns each output's data as numbers and its type. */
export async function runOnnxModel(
  model: ModelProto | string,
  feeds: Record<string, TestFeed>,
): Promise<Record<string, { type: string; dims: number[]; values: number[] }>> {
  const session = typeof model === 'string' ? await ort.InferenceSession.create(model, { graphOptimizationLevel: 'disabled' }) : await ort.InferenceSession.create(serializeOnnxModel(model), { graphOptimizationLevel: 'disabled' });
  try {
    const inputs: Record<string, ort.Tensor> = {};
    for (const [name, feed] of Object.entries(feeds)) inputs[name] = new ort.Tensor(feed.type ?? 'float32', feed.data, feed.dims);
    const results = await session.run(inputs);
    const outputs: Record<string, { type: string; dims: number[]; values: number[] }> = {};
    for (const [name, tensor] of Object.entries(results)) {
      outputs[name] = { type: tensor.type, dims: [...tensor.dims], values: Array.from(tensor.data as ArrayLike<number | bigint>, Number) };
    }
    return outputs;
  } finally {
    await session.release();
  }
}

/** Deterministic pseudo-random floats in [-1, 1). */
export function randomFloats(count: number, seed = 1): Float32Array {
  let state = seed >>> 0 || 1;
  const values = new Float32Array(count);
  for (let index = 0; index < count; index += 1) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    values[index] = state / 2 ** 31 - 1;
  }
  return values;
}

/** The largest absolute difference between two equally long arrays. */
export function maxAbsDifference(left: readonly number[], right: readonly number[]): number {
  if (left.length !== right.length) return Number.POSITIVE_INFINITY;
  return left.reduce((max, value, index) => Math.max(max, Math.abs(value - right[index]!)), 0);
}

/** Counts the nodes of each op type in the main graph. */
export function countOperators(model: ModelProto): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const node of model.graph?.node ?? []) counts[node.opType ?? ''] = (counts[node.opType ?? ''] ?? 0) + 1;
  return counts;
}
