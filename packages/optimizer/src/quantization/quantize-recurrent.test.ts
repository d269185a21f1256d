import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ModelProto } from '@gpux/onnx';
import { ensurePythonEnvironment } from '@gpux/converter-core';
import { DataType, loadOnnxModel, tensorToTypedArray } from '@gpux/onnx';
import { findTestPython } from '@gpux/test-helpers';
import { measureVariantAccuracy, runModelOnFeeds } from './measure-variant-accuracy';
import { quantizeModel } from './quantize-model';
import { generateFeeds, openSession, sessionInputs } from './run-onnx-model';
import { onnxruntimePython, referenceQuantizeDynamic } from './test-support/onnxruntime-reference';
import { buildRecurrentModel, RECURRENT_SIZES, saveTestModel } from './test-support/quantization-test-models';

const { input: INPUT, hidden: HIDDEN } = RECURRENT_SIZES;
const run = promisify(execFile);
const EXPORTERS = ['torchscript', 'dynamo'] as const;

let directory: string;
let lstmPath: string;
let gruPath: string;
let referencePython: string;
const exportedPaths = new Map<string, string>();

/** Python with torch: GPUX_TEST_PYTHON, else the managed pytorch environment. */
function torchPython(): Promise<string> {
  return findTestPython('pytorch', { ensurePythonEnvironment });
}

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'gpux-quantize-recurrent-'));
  lstmPath = await saveTestModel(buildRecurrentModel('LSTM'), directory, 'lstm.onnx');
  gruPath = await saveTestModel(buildRecurrentModel('GRU'), directory, 'gru.onnx');
  const [python, reference] = await Promise.all([torchPython(), onnxruntimePython()]);
  referencePython = reference;
  // Exported one after the other: two torch processes at once would compete for the two cores.
  for (const exporter of EXPORTERS) {
    const target = path.join(directory, `torch-lstm-${exporter}.onnx`);
    await run(python, [path.join(__dirname, 'test-fixtures', 'export_lstm_fixture.py'), target, exporter], { maxBuffer: 16 * 1024 * 1024, env: { ...process.env, TMPDIR: directory } });
    exportedPaths.set(exporter, target);
  }
}, 900_000);

afterAll(async () => {
  if (directory !== undefined) await rm(directory, { recursive: true, force: true });
});

function countOps(model: ModelProto, opType: string): number {
  return model.graph!.node.filter((node) => node.opType === opType).length;
}

function initializerOf(model: ModelProto, name: string | undefined): NonNullable<ModelProto['graph']>['initializer'][number] {
  const tensor = model.graph!.initializer.find((entry) => entry.name === name);
  if (tensor === undefined) throw new Error(`no initializer ${String(name)}`);
  return tensor;
}

/** The DynamicQuantizeLSTM that replaced the LSTM named `layer`. */
function quantizedLstm(model: ModelProto, layer: string): NonNullable<ModelProto['graph']>['node'][number] {
  const node = model.graph!.node.find((entry) => entry.opType === 'DynamicQuantizeLSTM' && entry.output[0] === `${layer}_y`);
  if (node === undefined) throw new Error(`no DynamicQuantizeLSTM for ${layer}`);
  return node;
}

async function feedsFor(modelPath: string): Promise<Array<ReturnType<typeof generateFeeds>>> {
  const session = await openSession(modelPath);
  const inputs = sessionInputs(session);
  await session.release();
  return [0, 1, 2].map((seed) => generateFeeds(inputs, { seed, dims: { sequence: 7, batch: 3 } }));
}

describe('dynamic int8 of LSTM (DynamicQuantizeLSTM)', () => {
  it('writes DynamicQuantizeLSTM for a forward and a bidirectional LSTM, runs in onnxruntime-node within the cosine budget, and matches quantize_dynamic in weights and size', async () => {
    const oursPath = path.join(directory, 'lstm_int8.onnx');
    const result = await quantizeModel(lstmPath, oursPath, { mode: 'int8', accuracyBudget: { minCosineSimilarity: 0.999 } });
    const ours = await loadOnnxModel(oursPath);
    expect(countOps(ours, 'DynamicQuantizeLSTM')).toBe(2);
    expect(countOps(ours, 'LSTM')).toBe(0);
    expect(result.quantizedNodes).toEqual([
      { name: 'forward', opType: 'LSTM' },
      { name: 'bidirectional', opType: 'LSTM' },
    ]);
    expect(result.keptInFloat).toEqual([]);
    expect(result.accuracy!.minCosineSimilarity).toBeGreaterThanOrEqual(0.999);
    expect(ours.opsetImport.some((entry) => entry.domain === 'com.microsoft')).toBe(true);

    for (const [layer, directions] of [['forward', 1], ['bidirectional', 2]] as const) {
      const node = quantizedLstm(ours, layer);
      expect(node.domain).toBe('com.microsoft');
      // W and R transposed to [directions, input, 4 * hidden] / [directions, hidden, 4 * hidden], int8.
      expect(initializerOf(ours, node.input[1]).dims.map(Number)).toEqual([directions, INPUT, 4 * HIDDEN]);
      expect(initializerOf(ours, node.input[2]).dims.map(Number)).toEqual([directions, HIDDEN, 4 * HIDDEN]);
      expect(initializerOf(ours, node.input[1]).dataType).toBe(DataType.INT8);
      // Per tensor: one scale and a zero point of 0 per direction, for W (inputs 8, 9) and R (10, 11).
      for (const index of [8, 10]) expect(initializerOf(ours, node.input[index]).dims.map(Number)).toEqual([directions]);
      for (const index of [9, 11]) expect([...tensorToTypedArray(initializerOf(ours, node.input[index]))].map(Number)).toEqual(Array.from({ length: directions }, () => 0));
      expect(node.input[3]).toBe(`${layer}.B`);
      expect(node.attribute.find((attribute) => attribute.name === 'hidden_size')?.i).toBe(HIDDEN);
    }
    // The float W and R are gone; the biases stay float32.
    expect(ours.graph!.initializer.filter((tensor) => tensor.dataType === DataType.FLOAT32 && /\.(W|R)$/.test(tensor.name ?? ''))).toEqual([]);

    const referencePath = path.join(directory, 'lstm_onnxruntime_int8.onnx');
    const reference = await referenceQuantizeDynamic(referencePython, lstmPath, referencePath, 'QInt8');
    expect(reference.ops.DynamicQuantizeLSTM).toBe(2);
    const referenceModel = await loadOnnxModel(referencePath);
    // The same int8 weights and scales as onnxruntime's.
    for (const layer of ['forward', 'bidirectional']) {
      const mine = quantizedLstm(ours, layer);
      const theirs = quantizedLstm(referenceModel, layer);
      for (const index of [1, 2, 8, 10]) {
        expect(initializerOf(ours, mine.input[index]).dims.map(Number)).toEqual(initializerOf(referenceModel, theirs.input[index]).dims.map(Number));
        expect([...tensorToTypedArray(initializerOf(ours, mine.input[index]))].map(Number)).toEqual([...tensorToTypedArray(initializerOf(referenceModel, theirs.input[index]))].map(Number));
      }
    }
    const ourBytes = (await stat(oursPath)).size;
    expect(Math.abs(ourBytes / reference.bytes - 1)).toBeLessThanOrEqual(0.05);
    expect(ourBytes / result.inputBytes).toBeLessThan(0.3);

    // Both files through onnxruntime-node on the same inputs, against the fp32 model.
    const feeds = await feedsFor(lstmPath);
    const fp32 = await runModelOnFeeds(lstmPath, feeds);
    const ourAccuracy = await measureVariantAccuracy(oursPath, feeds, fp32);
    const referenceAccuracy = await measureVariantAccuracy(referencePath, feeds, fp32);
    expect(ourAccuracy.minCosineSimilarity).toBeGreaterThanOrEqual(0.999);
    expect(ourAccuracy.minCosineSimilarity).toBeLessThan(1);
    expect(1 - ourAccuracy.minCosineSimilarity).toBeLessThanOrEqual((1 - referenceAccuracy.minCosineSimilarity) * 1.05);
  }, 300_000);

  it('per channel gives one scale per gate row and direction, and still runs', async () => {
    const outputPath = path.join(directory, 'lstm_int8_per_channel.onnx');
    const result = await quantizeModel(lstmPath, outputPath, { mode: 'uint8', perChannel: true });
    const model = await loadOnnxModel(outputPath);
    const node = quantizedLstm(model, 'bidirectional');
    // int8 weights even in uint8 mode (onnxruntime quantizes LSTM weights as INT8 whatever weight_type is).
    expect(initializerOf(model, node.input[2]).dataType).toBe(DataType.INT8);
    expect(initializerOf(model, node.input[8]).dims.map(Number)).toEqual([2, 4 * HIDDEN]);
    expect(initializerOf(model, node.input[11]).dims.map(Number)).toEqual([2, 4 * HIDDEN]);
    const scales = tensorToTypedArray(initializerOf(model, node.input[10])) as Float32Array;
    expect(new Set(scales).size).toBeGreaterThan(1);
    expect(result.accuracy!.minCosineSimilarity).toBeGreaterThanOrEqual(0.999);
  }, 120_000);

  it('a tight accuracy budget keeps an LSTM in float and reports what it costs in bytes', async () => {
    const full = await quantizeModel(lstmPath, path.join(directory, 'lstm_full.onnx'), { mode: 'int8', validate: false });
    const feeds = await feedsFor(lstmPath);
    const fullAccuracy = await measureVariantAccuracy(full.outputPath, feeds, await runModelOnFeeds(lstmPath, feeds));
    // A quarter of the fully quantized variant's cosine loss: int8 LSTMs cannot all meet it.
    const budget = 1 - (1 - fullAccuracy.minCosineSimilarity) / 4;
    const result = await quantizeModel(lstmPath, path.join(directory, 'lstm_budget.onnx'), { mode: 'int8', accuracyBudget: { minCosineSimilarity: budget } });
    expect(result.keptInFloat.length).toBeGreaterThan(0);
    expect(result.accuracy!.minCosineSimilarity).toBeGreaterThanOrEqual(budget);
    const weights = { forward: (4 * HIDDEN * INPUT + 4 * HIDDEN * HIDDEN) * 4, bidirectional: 2 * (4 * HIDDEN * INPUT + 4 * HIDDEN * HIDDEN) * 4 };
    for (const cost of result.keptInFloatCosts) {
      expect(cost.opType).toBe('LSTM');
      expect(cost.floatWeightBytes).toBe(weights[cost.name as keyof typeof weights]);
      expect(cost.extraBytes).toBe((cost.floatWeightBytes / 4) * 3);
    }
    const extra = result.keptInFloatCosts.reduce((total, cost) => total + cost.extraBytes, 0);
    expect(Math.abs(result.outputBytes - full.outputBytes - extra) / extra).toBeLessThan(0.02);
    expect(result.skippedNodes.filter((node) => node.reason === 'kept in float by the accuracy budget').map((node) => node.name).sort()).toEqual([...result.keptInFloat].sort());
  }, 300_000);

  it('q4 and QDQ leave LSTM in float and say why', async () => {
    const q4 = await quantizeModel(lstmPath, path.join(directory, 'lstm_q4.onnx'), { mode: 'q4', validate: false });
    expect(q4.skippedNodes.map((node) => node.name)).toEqual(['forward', 'bidirectional']);
    expect(q4.skippedNodes[0]!.reason).toContain('LSTM weights cannot be 4-bit');
    expect(q4.skippedNodes[0]!.reason).toContain(`(${(4 * HIDDEN * INPUT + 4 * HIDDEN * HIDDEN + 8 * HIDDEN) * 4} bytes)`);
    const qdq = await quantizeModel(lstmPath, path.join(directory, 'lstm_qdq.onnx'), { mode: 'int8', format: 'qdq', validate: false });
    expect(qdq.quantizedNodes).toEqual([]);
    expect(qdq.skippedNodes[1]!.reason).toContain('LSTM has no QDQ form');
  }, 120_000);
});

describe.each(EXPORTERS)('a PyTorch nn.LSTM stack exported with %s', (exporter) => {
  it('becomes three DynamicQuantizeLSTM nodes within the cosine budget and within 5% of quantize_dynamic in size', async () => {
    const source = exportedPaths.get(exporter)!;
    const exported = await loadOnnxModel(source);
    expect(countOps(exported, 'LSTM')).toBe(3);
    const oursPath = path.join(directory, `torch-lstm-${exporter}_int8.onnx`);
    const result = await quantizeModel(source, oursPath, { mode: 'int8', accuracyBudget: { minCosineSimilarity: 0.999 } });
    const ours = await loadOnnxModel(oursPath);
    expect(countOps(ours, 'DynamicQuantizeLSTM')).toBe(3);
    expect(countOps(ours, 'LSTM')).toBe(0);
    expect(result.keptInFloat).toEqual([]);
    const referencePath = path.join(directory, `torch-lstm-${exporter}_onnxruntime_int8.onnx`);
    const reference = await referenceQuantizeDynamic(referencePython, source, referencePath, 'QInt8');
    expect(reference.ops.DynamicQuantizeLSTM).toBe(3);
    expect(Math.abs(result.outputBytes / reference.bytes - 1)).toBeLessThanOrEqual(0.05);
    const feeds = await feedsFor(source);
    const fp32 = await runModelOnFeeds(source, feeds);
    const ourAccuracy = await measureVariantAccuracy(oursPath, feeds, fp32);
    expect(ourAccuracy.minCosineSimilarity).toBeGreaterThanOrEqual(0.999);
    expect(1 - ourAccuracy.minCosineSimilarity).toBeLessThanOrEqual((1 - (await measureVariantAccuracy(referencePath, feeds, fp32)).minCosineSimilarity) * 1.05);
  }, 120_000);
});

describe('GRU', () => {
  it('stays GRU in float32 with a reason per node, as onnxruntime quantize_dynamic leaves it', async () => {
    const outputPath = path.join(directory, 'gru_int8.onnx');
    const result = await quantizeModel(gruPath, outputPath, { mode: 'int8' });
    const model = await loadOnnxModel(outputPath);
    expect(countOps(model, 'GRU')).toBe(2);
    expect(result.quantizedNodes).toEqual([]);
    const gruBytes = { forward: (3 * HIDDEN * INPUT + 3 * HIDDEN * HIDDEN + 6 * HIDDEN) * 4, bidirectional: 2 * (3 * HIDDEN * INPUT + 3 * HIDDEN * HIDDEN + 6 * HIDDEN) * 4 };
    expect(result.skippedNodes.map((node) => node.name)).toEqual(['forward', 'bidirectional']);
    for (const node of result.skippedNodes) {
      expect(node.opType).toBe('GRU');
      expect(node.reason).toContain('onnxruntime has no quantized GRU kernel');
      expect(node.reason).toContain(`(${gruBytes[node.name as keyof typeof gruBytes]} bytes) stay float32`);
    }
    expect(result.notes.join(' ')).toContain('2 node(s) left in float: forward (GRU stays float32');
    expect(result.accuracy!.minCosineSimilarity).toBeGreaterThan(0.99999);
    // onnxruntime's own quantizer leaves both GRUs as they are too.
    const reference = await referenceQuantizeDynamic(referencePython, gruPath, path.join(directory, 'gru_onnxruntime_int8.onnx'), 'QInt8');
    expect(reference.ops.GRU).toBe(2);
    expect(Object.keys(reference.ops).filter((op) => op !== 'GRU')).toEqual([]);
  }, 120_000);
});
