import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DataType, getIntAttribute, isExternalTensor, loadOnnxModel, makeGraph, makeModel, makeNode, makeValueInfo } from '@gpux/onnx';
import { createQuantizationStage } from './create-quantization-stage';
import type { QuantizationFeeds } from './quantization-options';
import { quantizeModel } from './quantize-model';
import { buildMlpModel, buildOutlierModel, buildTiedEmbeddingModel, normalGenerator, randomTensor, saveTestModel } from './test-support/quantization-test-models';

let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'gpux-quantize-advanced-'));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

function matmulModel(k: number, n: number) {
  return makeModel(
    makeGraph([makeNode('MatMul', ['x', 'w'], ['y'], { name: 'mm' })], 'q4', [makeValueInfo('x', 'float32', ['batch', k])], [makeValueInfo('y', 'float32', ['batch', n])], {
      initializer: [randomTensor('w', [k, n], 21, 0.3)],
    }),
    { opsetImports: [{ domain: '', version: 17 }] },
  );
}

describe('q4 (MatMulNBits)', () => {
  it.each([
    [64, true, 32],
    [64, false, 32],
    [256, true, 128],
    [40, true, 32],
    [40, false, 32],
  ])('K=%i symmetric=%s block %i runs in onnxruntime close to fp32', async (k, symmetric, blockSize) => {
    const input = await saveTestModel(matmulModel(k, 24), directory, `mm-${k}-${String(symmetric)}-${blockSize}.onnx`);
    const output = path.join(directory, `mm-${k}-${String(symmetric)}-${blockSize}_q4.onnx`);
    const result = await quantizeModel(input, output, { mode: 'q4', symmetric, blockSize: blockSize as 32 | 128 });
    const quantized = await loadOnnxModel(output);
    const node = quantized.graph!.node[0]!;
    expect(node.opType).toBe('MatMulNBits');
    expect(node.domain).toBe('com.microsoft');
    expect(getIntAttribute(node, 'K')).toBe(k);
    expect(getIntAttribute(node, 'block_size')).toBe(blockSize);
    const blocks = Math.ceil(k / blockSize);
    expect(quantized.graph!.initializer.find((tensor) => tensor.name === 'w_Q4')!.dims).toEqual([24, blocks, blockSize / 2]);
    expect(node.input.length).toBe(symmetric ? 3 : 4);
    expect(quantized.opsetImport).toContainEqual({ domain: 'com.microsoft', version: 1 });
    expect(result.format).toBe('matmulnbits');
    expect(result.accuracy!.minCosineSimilarity).toBeGreaterThan(0.98);
  });

  it('leaves a tied lm_head MatMul(x, Transpose(table)) in float when a Gather keeps the table in float32', async () => {
    const input = await saveTestModel(buildTiedEmbeddingModel(), directory, 'tied-q4.onnx');
    const output = path.join(directory, 'tied_q4.onnx');
    const result = await quantizeModel(input, output, { mode: 'q4', vocabSize: 60 });
    expect(result.quantizedNodes).toEqual([]);
    expect(result.skippedNodes).toContainEqual({ name: 'lm_head', opType: 'MatMul', reason: expect.stringContaining('tied embedding that a Gather keeps in float32 (7680 bytes)') as string });
    expect(result.outputBytes).toBeLessThanOrEqual(result.inputBytes);
  });

  it('leaves Gemm in float and lists it (q4 rewrites MatMul only)', async () => {
    const input = await saveTestModel(buildMlpModel(), directory, 'mlp-q4.onnx');
    const result = await quantizeModel(input, path.join(directory, 'mlp_q4.onnx'), { mode: 'q4', opTypes: ['MatMul', 'Gemm'] });
    expect(result.quantizedNodes.map((node) => node.name)).toEqual(['fc1']);
    expect(result.skippedNodes).toEqual([{ name: 'fc2', opType: 'Gemm', reason: 'q4 (MatMulNBits) rewrites MatMul nodes only' }]);
  });
});

describe('static int8 (QDQ, calibrated)', () => {
  function sample(seed: number, outlier: boolean): QuantizationFeeds {
    const next = normalGenerator(seed);
    const data = Float32Array.from({ length: 4 * 64 }, () => next());
    if (outlier) data[5] = 400;
    return { x: { dtype: 'float32', shape: [4, 64], data } };
  }

  it('writes QuantizeLinear/DequantizeLinear with calibrated ranges; percentile beats MinMax when calibration data has an outlier', async () => {
    const input = await saveTestModel(buildMlpModel(), directory, 'mlp-static.onnx');
    const samples = [sample(1, true), sample(2, false), sample(3, false), sample(4, false)];
    const validationInputs = [sample(10, false), sample(11, false)];
    const minmaxPath = path.join(directory, 'mlp_static_minmax.onnx');
    const minmax = await quantizeModel(input, minmaxPath, { mode: 'static-int8', calibration: { samples }, validationInputs });
    const percentile = await quantizeModel(input, path.join(directory, 'mlp_static_percentile.onnx'), { mode: 'static-int8', calibration: { samples, method: 'percentile', percentile: 99.9 }, validationInputs });
    const entropy = await quantizeModel(input, path.join(directory, 'mlp_static_entropy.onnx'), { mode: 'static-int8', calibration: { samples, method: 'entropy' }, validationInputs });
    const quantized = await loadOnnxModel(minmaxPath);
    const counts: Record<string, number> = {};
    for (const node of quantized.graph!.node) counts[node.opType!] = (counts[node.opType!] ?? 0) + 1;
    expect(counts).toMatchObject({ QuantizeLinear: 2, DequantizeLinear: 4, MatMul: 1, Gemm: 1 });
    const scaleOf = (model: typeof quantized): number => {
      const tensor = model.graph!.initializer.find((entry) => entry.name === 'x_scale')!;
      return new DataView(tensor.rawData!.buffer, tensor.rawData!.byteOffset).getFloat32(0, true);
    };
    const percentileModel = await loadOnnxModel(percentile.outputPath);
    // MinMax stretches the input range to the outlier (400 / 255 per step); percentile clips it.
    expect(scaleOf(quantized)).toBeGreaterThan(1.5);
    expect(scaleOf(percentileModel)).toBeLessThan(0.1);
    expect(percentile.accuracy!.minCosineSimilarity).toBeGreaterThan(minmax.accuracy!.minCosineSimilarity);
    expect(percentile.accuracy!.minCosineSimilarity).toBeGreaterThan(0.99);
    expect(entropy.accuracy!.minCosineSimilarity).toBeGreaterThan(0.99);
    expect(minmax.notes.join(' ')).not.toContain('generated inputs');
  });
});

describe('accuracy budget', () => {
  it('finds the MatMul that per-tensor int8 destroys and keeps only it in float', async () => {
    const input = await saveTestModel(buildOutlierModel(), directory, 'outlier.onnx');
    const plain = await quantizeModel(input, path.join(directory, 'outlier_plain.onnx'), { mode: 'int8' });
    expect(plain.accuracy!.minCosineSimilarity).toBeLessThan(0.9);
    const output = path.join(directory, 'outlier_int8.onnx');
    const result = await quantizeModel(input, output, { mode: 'int8', accuracyBudget: { minCosineSimilarity: 0.99 } });
    expect(result.keptInFloat).toEqual(['sensitive']);
    // The kept MatMul's [32, 32] float32 weight is 4096 bytes; int8 would hold it in 1024.
    expect(result.keptInFloatCosts.map(({ name, opType, floatWeightBytes, extraBytes }) => ({ name, opType, floatWeightBytes, extraBytes }))).toEqual([{ name: 'sensitive', opType: 'MatMul', floatWeightBytes: 4096, extraBytes: 3072 }]);
    expect(result.keptInFloatCosts[0]!.loss).toBeGreaterThan(0.1);
    expect(result.quantizedNodes.map((node) => node.name)).toEqual(['first', 'last']);
    expect(result.skippedNodes).toContainEqual({ name: 'sensitive', opType: 'MatMul', reason: 'kept in float by the accuracy budget' });
    expect(result.accuracy!.minCosineSimilarity).toBeGreaterThan(0.99);
    const quantized = await loadOnnxModel(output);
    expect(quantized.graph!.node.filter((node) => node.opType === 'MatMul').map((node) => node.name)).toEqual(['sensitive']);
    // Per-channel quantization handles the outlier column without keeping anything in float.
    const perChannel = await quantizeModel(input, path.join(directory, 'outlier_pc.onnx'), { mode: 'int8', perChannel: true, accuracyBudget: { minCosineSimilarity: 0.99 } });
    expect(perChannel.keptInFloat).toEqual([]);
  });
});

describe('external data', () => {
  it('quantizes a model whose weights are in an external data file and writes external data beside the output', async () => {
    const input = await saveTestModel(buildMlpModel({ inputs: 128, hidden: 256 }), directory, 'external.onnx', true);
    const source = await loadOnnxModel(input);
    expect(source.graph!.initializer.every((tensor) => isExternalTensor(tensor))).toBe(true);
    const outputDirectory = path.join(directory, 'external-out');
    const output = path.join(outputDirectory, 'external_int8.onnx');
    const result = await quantizeModel(input, output, { mode: 'int8', perChannel: true });
    expect((await readdir(outputDirectory)).sort()).toEqual(['external_int8.onnx', 'external_int8.onnx.data']);
    const quantized = await loadOnnxModel(output);
    const weight = quantized.graph!.initializer.find((tensor) => tensor.name === 'fc1.weight_quantized')!;
    expect(weight.dataType).toBe(DataType.INT8);
    expect(isExternalTensor(weight)).toBe(true);
    expect(result.outputBytes / result.inputBytes).toBeLessThan(0.3);
    expect(result.accuracy!.minCosineSimilarity).toBeGreaterThan(0.99);
  });
});

describe('createQuantizationStage', () => {
  it('builds stages with transformers.js suffixes whose run writes the variant', async () => {
    expect(createQuantizationStage('q8').fileSuffix).toBe('_quantized');
    expect(createQuantizationStage('int8').fileSuffix).toBe('_int8');
    expect(createQuantizationStage('uint8').fileSuffix).toBe('_uint8');
    expect(createQuantizationStage('q4').fileSuffix).toBe('_q4');
    expect(() => createQuantizationStage('int2' as never)).toThrow(TypeError);
    const stage = createQuantizationStage('q8', { perChannel: true });
    expect(stage).toMatchObject({ name: 'quantize-q8', phase: 'quantize', options: { mode: 'q8', perChannel: true } });
    expect(stage.tolerances!.minCosineSimilarity).toBe(0.99);
    const input = await saveTestModel(buildMlpModel(), directory, 'stage.onnx');
    const work = path.join(directory, 'stage-work');
    const generator = stage.run({ modelPath: input, outputPath: path.join(directory, 'stage_quantized.onnx'), workDirectory: work });
    const phases: string[] = [];
    let step = await generator.next();
    while (step.done !== true) {
      phases.push(step.value.type);
      step = await generator.next();
    }
    expect(phases[0]).toBe('phase-start');
    expect(phases).toContain('phase-end');
    expect(step.value.details).toMatchObject({ mode: 'q8', weightType: 'int8', quantizedNodes: 2 });
  });

  it('cancels with CANCELLED and leaves no output', async () => {
    const input = await saveTestModel(buildMlpModel(), directory, 'cancel.onnx');
    const output = path.join(directory, 'cancel_int8.onnx');
    const controller = new AbortController();
    controller.abort();
    await expect(quantizeModel(input, output, { mode: 'int8', signal: controller.signal })).rejects.toMatchObject({ code: 'CANCELLED' });
    expect((await readdir(directory)).filter((name) => name.startsWith('cancel_'))).toEqual([]);
  });
});
