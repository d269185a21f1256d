import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ModelProto } from '@gpux/onnx';
import { ensurePythonEnvironment } from '@gpux/converter-core';
import { loadOnnxModel, tensorToTypedArray } from '@gpux/onnx';
import { findTestPython } from '@gpux/test-helpers';
import { optimizeModel } from '../optimize-model';
import { measureVariantAccuracy, runModelOnFeeds } from './measure-variant-accuracy';
import { quantizeModel } from './quantize-model';
import { generateFeeds, openSession, sessionInputs } from './run-onnx-model';
import { onnxruntimePython, referenceQuantizeDynamic } from './test-support/onnxruntime-reference';

const run = promisify(execFile);
const LAYERS = 2;
const HIDDEN = 64;

let directory: string;
let fusedPath: string;
let referencePython: string;

/** Python with torch + transformers: GPUX_TEST_PYTHON, else the managed pytorch environment. */
function torchPython(): Promise<string> {
  return findTestPython('pytorch', { ensurePythonEnvironment });
}

function countOps(model: ModelProto, opType: string): number {
  return model.graph!.node.filter((node) => node.opType === opType).length;
}

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'gpux-quantize-fused-'));
  const [python, reference] = await Promise.all([torchPython(), onnxruntimePython()]);
  referencePython = reference;
  const { stdout } = await run(
    python,
    [path.join(__dirname, '..', 'fusions', 'test-fixtures', 'export_transformer_fixtures.py'), directory, '--models', 'bert', '--exporters', 'torchscript', '--attention', 'sdpa', '--layers', String(LAYERS), '--hidden', String(HIDDEN), '--heads', '4'],
    { maxBuffer: 64 * 1024 * 1024, env: { ...process.env, TMPDIR: directory } },
  );
  const exported = (JSON.parse(stdout.split('\n').find((line) => line.startsWith('{'))!) as { path: string }).path;
  fusedPath = path.join(directory, 'bert-o2.onnx');
  await optimizeModel(exported, fusedPath, { level: 'O2', validate: false });
}, 900_000);

afterAll(async () => {
  if (directory !== undefined) await rm(directory, { recursive: true, force: true });
});

describe('quantizing an O2-fused BERT', () => {
  it('writes QAttention and QEmbedLayerNormalization, stays within the cosine budget, and is within 5% of quantize_dynamic in size and accuracy', async () => {
    const fused = await loadOnnxModel(fusedPath);
    expect(countOps(fused, 'Attention')).toBe(LAYERS);
    expect(countOps(fused, 'EmbedLayerNormalization')).toBe(1);

    const oursPath = path.join(directory, 'ours_int8.onnx');
    const result = await quantizeModel(fusedPath, oursPath, { mode: 'int8', accuracyBudget: { minCosineSimilarity: 0.999 } });
    const ours = await loadOnnxModel(oursPath);
    expect(countOps(ours, 'QAttention')).toBe(LAYERS);
    expect(countOps(ours, 'QEmbedLayerNormalization')).toBe(1);
    expect(countOps(ours, 'Attention') + countOps(ours, 'EmbedLayerNormalization')).toBe(0);
    // 6 MatMuls (attention output, FFN in, FFN out per layer) + 2 Attention + 1 EmbedLayerNormalization.
    expect(result.quantizedNodes).toHaveLength(3 * LAYERS + LAYERS + 1);
    expect(result.keptInFloat).toEqual([]);
    expect(result.accuracy!.minCosineSimilarity).toBeGreaterThanOrEqual(0.999);
    // The packed QKV weight is quantized as one [hidden, 3 * hidden] int8 tensor.
    const qkv = ours.graph!.initializer.find((tensor) => tensor.name === ours.graph!.node.find((node) => node.opType === 'QAttention')!.input[1]);
    expect(qkv?.dims.map(Number)).toEqual([HIDDEN, 3 * HIDDEN]);

    const referencePath = path.join(directory, 'onnxruntime_int8.onnx');
    const reference = await referenceQuantizeDynamic(referencePython, fusedPath, referencePath, 'QInt8');
    expect(reference.ops.QAttention).toBe(LAYERS);
    // The same int8 QKV weights and scales as onnxruntime's (float32 division, round half to even).
    const referenceModel = await loadOnnxModel(referencePath);
    const qkvOf = (model: ModelProto, input: number): number[] => {
      const attention = model.graph!.node.find((node) => node.opType === 'QAttention')!;
      return [...tensorToTypedArray(model.graph!.initializer.find((tensor) => tensor.name === attention.input[input])!)].map(Number);
    };
    expect(qkvOf(ours, 1)).toEqual(qkvOf(referenceModel, 1));
    expect(qkvOf(ours, 4)).toEqual(qkvOf(referenceModel, 4));
    const ourBytes = (await stat(oursPath)).size;
    expect(Math.abs(ourBytes / reference.bytes - 1)).toBeLessThanOrEqual(0.05);
    expect(ourBytes / result.inputBytes).toBeLessThanOrEqual(0.3);

    // Same inputs through onnxruntime-node for both files, against the fp32 fused model.
    const session = await openSession(fusedPath);
    const inputs = sessionInputs(session);
    await session.release();
    const feeds = [0, 1, 2].map((seed) => generateFeeds(inputs, { seed, vocabSize: 1000 }));
    const fp32 = await runModelOnFeeds(fusedPath, feeds);
    const ourAccuracy = await measureVariantAccuracy(oursPath, feeds, fp32);
    const referenceAccuracy = await measureVariantAccuracy(referencePath, feeds, fp32);
    expect(referenceAccuracy.minCosineSimilarity).toBeGreaterThan(0.99);
    expect(1 - ourAccuracy.minCosineSimilarity).toBeLessThanOrEqual((1 - referenceAccuracy.minCosineSimilarity) * 1.05);
  }, 300_000);

  it('a tight accuracy budget keeps fused nodes in float and reports what each costs in bytes', async () => {
    const full = await quantizeModel(fusedPath, path.join(directory, 'full_int8.onnx'), { mode: 'int8', validate: false });
    const result = await quantizeModel(fusedPath, path.join(directory, 'budget_int8.onnx'), { mode: 'int8', accuracyBudget: { minCosineSimilarity: 0.99998 } });
    expect(result.keptInFloat.length).toBeGreaterThan(0);
    expect(result.accuracy!.minCosineSimilarity).toBeGreaterThanOrEqual(0.99998);
    expect(result.keptInFloatCosts.map((cost) => cost.name)).toEqual(result.keptInFloat);
    const fusedModel = await loadOnnxModel(fusedPath);
    const embed = fusedModel.graph!.node.find((node) => node.opType === 'EmbedLayerNormalization')!;
    const sizes = new Map(fusedModel.graph!.initializer.map((tensor) => [tensor.name ?? '', tensor.dims.reduce((product, dim) => product * Number(dim), 1) * 4]));
    for (const cost of result.keptInFloatCosts) {
      // Word, position and segment tables, gamma and beta; the packed QKV weight; a MatMul weight.
      const expected = cost.opType === 'EmbedLayerNormalization' ? embed.input.slice(2, 7).reduce((total, name) => total + sizes.get(name)!, 0) : cost.opType === 'Attention' ? HIDDEN * 3 * HIDDEN * 4 : undefined;
      if (expected !== undefined) expect(cost.floatWeightBytes).toBe(expected);
      expect(cost.extraBytes).toBe((cost.floatWeightBytes / 4) * 3);
    }
    // The estimate matches the file: the budget variant is larger than the fully quantized one by about the sum.
    const extra = result.keptInFloatCosts.reduce((total, cost) => total + cost.extraBytes, 0);
    expect(Math.abs(result.outputBytes - full.outputBytes - extra) / extra).toBeLessThan(0.02);
    expect(result.notes.join(' ')).toContain(`about ${extra} bytes more than fully quantized`);
  }, 120_000);

  it('uint8 per channel gives QAttention one scale per packed QKV column and runs in onnxruntime-node', async () => {
    const outputPath = path.join(directory, 'ours_uint8_per_channel.onnx');
    const result = await quantizeModel(fusedPath, outputPath, { mode: 'uint8', perChannel: true });
    const model = await loadOnnxModel(outputPath);
    const attention = model.graph!.node.find((node) => node.opType === 'QAttention')!;
    const byName = new Map(model.graph!.initializer.map((tensor) => [tensor.name ?? '', tensor]));
    expect(byName.get(attention.input[4]!)?.dims.map(Number)).toEqual([3 * HIDDEN]);
    expect(byName.get(attention.input[1]!)?.dataType).toBe(2); // UINT8
    expect(result.accuracy!.minCosineSimilarity).toBeGreaterThanOrEqual(0.999);
  }, 120_000);

  it('q4 says which fused nodes keep float32 weights and how many bytes they hold', async () => {
    const outputPath = path.join(directory, 'ours_q4.onnx');
    const result = await quantizeModel(fusedPath, outputPath, { mode: 'q4', validate: false });
    expect(result.quantizedNodes.map((node) => node.opType)).toEqual(Array.from({ length: 3 * LAYERS }, () => 'MatMul'));
    const attention = result.skippedNodes.filter((node) => node.opType === 'Attention');
    expect(attention).toHaveLength(LAYERS);
    // Packed QKV weight [64, 192] + bias [192], float32.
    const qkvBytes = (HIDDEN * 3 * HIDDEN + 3 * HIDDEN) * 4;
    for (const node of attention) {
      expect(node.reason).toContain('weights cannot be 4-bit: MatMulNBits has no fused Attention form');
      expect(node.reason).toContain(`(${qkvBytes} bytes)`);
    }
    expect(result.skippedNodes.find((node) => node.opType === 'EmbedLayerNormalization')?.reason).toContain('stay float32');
  }, 120_000);
});
