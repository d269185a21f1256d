import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConversionError } from '@gpux/converter-core';
import { DataType, loadOnnxModel, tensorToTypedArray } from '@gpux/onnx';
import { quantizeModel } from './quantize-model';
import { buildConvModel, buildEmbeddingModel, buildMlpModel, buildTiedEmbeddingModel, saveTestModel } from './test-support/quantization-test-models';

let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'gpux-quantize-dynamic-'));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

function opCounts(model: Awaited<ReturnType<typeof loadOnnxModel>>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const node of model.graph!.node) counts[node.opType!] = (counts[node.opType!] ?? 0) + 1;
  return counts;
}

describe('dynamic int8 (QOperator)', () => {
  it('rewrites MatMul and Gemm to MatMulInteger with int8 weights, ~4x smaller, outputs close to fp32', async () => {
    const input = await saveTestModel(buildMlpModel({ inputs: 256, hidden: 512 }), directory, 'mlp.onnx');
    const output = path.join(directory, 'mlp_int8.onnx');
    const result = await quantizeModel(input, output, { mode: 'int8' });
    const quantized = await loadOnnxModel(output);
    const counts = opCounts(quantized);
    expect(counts).toMatchObject({ MatMulInteger: 2, DynamicQuantizeLinear: 2, Cast: 2 });
    expect(counts.MatMul).toBeUndefined();
    expect(counts.Gemm).toBeUndefined();
    const weight = quantized.graph!.initializer.find((tensor) => tensor.name === 'fc1.weight_quantized')!;
    expect(weight.dataType).toBe(DataType.INT8);
    expect(weight.dims).toEqual([256, 512]);
    expect(quantized.graph!.initializer.some((tensor) => tensor.name === 'fc1.weight')).toBe(false);
    expect(result.weightType).toBe('int8');
    expect(result.quantizedNodes.map((node) => node.name)).toEqual(['fc1', 'fc2']);
    expect(result.outputBytes / result.inputBytes).toBeLessThan(0.3);
    expect((await stat(output)).size).toBe(result.outputBytes);
    expect(result.accuracy!.minCosineSimilarity).toBeGreaterThan(0.99);
    expect(result.accuracy!.minArgmaxAgreement).toBeGreaterThanOrEqual(0.5);
  });

  it('writes uint8 weights with zero points for mode uint8, and per-channel scales per column', async () => {
    const input = await saveTestModel(buildMlpModel(), directory, 'mlp-u8.onnx');
    const output = path.join(directory, 'mlp_uint8.onnx');
    const result = await quantizeModel(input, output, { mode: 'uint8', perChannel: true });
    const quantized = await loadOnnxModel(output);
    const byName = new Map(quantized.graph!.initializer.map((tensor) => [tensor.name!, tensor]));
    expect(byName.get('fc1.weight_quantized')!.dataType).toBe(DataType.UINT8);
    expect(byName.get('fc1.weight_quantized_scale')!.dims).toEqual([128]);
    const zeroPoints = tensorToTypedArray(byName.get('fc1.weight_quantized_zero_point')!) as Uint8Array;
    expect(zeroPoints.length).toBe(128);
    expect(new Set(zeroPoints).size).toBeGreaterThan(1);
    // Gemm transB=1: the weight is transposed to [K, N] for MatMulInteger.
    expect(byName.get('fc2.weight_transposed_quantized')!.dims).toEqual([128, 10]);
    expect(result.accuracy!.minCosineSimilarity).toBeGreaterThan(0.99);
  });

  it('rewrites Conv to ConvInteger and picks uint8 weights for q8 when the model has Conv (transformers.js rule)', async () => {
    const input = await saveTestModel(buildConvModel(), directory, 'conv.onnx');
    const output = path.join(directory, 'conv_quantized.onnx');
    const result = await quantizeModel(input, output, { mode: 'q8' });
    expect(result.weightType).toBe('uint8');
    const counts = opCounts(await loadOnnxModel(output));
    expect(counts).toMatchObject({ ConvInteger: 1, MatMulInteger: 1 });
    expect(result.accuracy!.minCosineSimilarity).toBeGreaterThan(0.99);
  });

  it('quantizes Conv per output channel with int8 weights', async () => {
    const input = await saveTestModel(buildConvModel(), directory, 'conv-pc.onnx');
    const output = path.join(directory, 'conv_int8.onnx');
    const result = await quantizeModel(input, output, { mode: 'int8', perChannel: true });
    const quantized = await loadOnnxModel(output);
    const scale = quantized.graph!.initializer.find((tensor) => tensor.name === 'conv1.weight_quantized_scale')!;
    expect(scale.dims).toEqual([1, 8, 1, 1]);
    expect(result.accuracy!.minCosineSimilarity).toBeGreaterThan(0.99);
  });

  it('quantizes an embedding Gather table and q8 keeps int8 weights without Conv', async () => {
    const input = await saveTestModel(buildEmbeddingModel(), directory, 'embedding.onnx');
    const output = path.join(directory, 'embedding_quantized.onnx');
    const result = await quantizeModel(input, output, { mode: 'q8', vocabSize: 50 });
    expect(result.weightType).toBe('int8');
    const quantized = await loadOnnxModel(output);
    const counts = opCounts(quantized);
    expect(counts).toMatchObject({ Gather: 1, DequantizeLinear: 1, MatMulInteger: 1 });
    // onnxruntime's GatherQuant writes uint8 tables with a zero point whatever the weight type.
    expect(quantized.graph!.initializer.find((tensor) => tensor.name === 'embed.weight_quantized')!.dataType).toBe(DataType.UINT8);
    expect(quantized.graph!.initializer.find((tensor) => tensor.name === 'proj.weight_quantized')!.dataType).toBe(DataType.INT8);
    expect(result.accuracy!.minCosineSimilarity).toBeGreaterThan(0.99);
  });
});

describe('tied embeddings and Identity constants', () => {
  it.each(['qoperator', 'qdq'] as const)('%s: quantizes a table read by Gather and by MatMul(Transpose(table)) once, without a float copy', async (format) => {
    const input = await saveTestModel(buildTiedEmbeddingModel(), directory, `tied-${format}.onnx`);
    const output = path.join(directory, `tied_${format}_int8.onnx`);
    const result = await quantizeModel(input, output, { mode: 'int8', format, vocabSize: 60 });
    expect(result.quantizedNodes.map((node) => node.name).sort()).toEqual(['dense', 'embed', 'lm_head']);
    const quantized = await loadOnnxModel(output);
    const names = quantized.graph!.initializer.map((tensor) => tensor.name);
    expect(names).not.toContain('embed.weight');
    expect(names.filter((name) => name!.startsWith('embed.weight'))).toContain('embed.weight_quantized');
    expect(quantized.graph!.node.some((node) => node.name === 'lm_head_transpose')).toBe(false);
    expect(result.outputBytes / result.inputBytes).toBeLessThan(0.45);
    expect(result.accuracy!.minCosineSimilarity).toBeGreaterThan(0.99);
  });
});

describe('dynamic int8 (QDQ)', () => {
  it('puts DequantizeLinear in front of the float ops and keeps them', async () => {
    const input = await saveTestModel(buildMlpModel(), directory, 'mlp-qdq.onnx');
    const output = path.join(directory, 'mlp_qdq.onnx');
    const result = await quantizeModel(input, output, { mode: 'int8', format: 'qdq', perChannel: true });
    const quantized = await loadOnnxModel(output);
    const counts = opCounts(quantized);
    expect(counts).toMatchObject({ MatMul: 1, Gemm: 1, DynamicQuantizeLinear: 2, DequantizeLinear: 4 });
    const weightDequantize = quantized.graph!.node.find((node) => node.opType === 'DequantizeLinear' && node.input[0] === 'fc2.weight_quantized')!;
    expect(weightDequantize.attribute.find((attribute) => attribute.name === 'axis')?.i).toBe(0);
    expect(result.format).toBe('qdq');
    expect(result.accuracy!.minCosineSimilarity).toBeGreaterThan(0.99);
  });
});

describe('selection and bad input', () => {
  it('honours nodesToExclude and opTypesToExclude and lists the excluded nodes', async () => {
    const input = await saveTestModel(buildMlpModel(), directory, 'mlp-exclude.onnx');
    const output = path.join(directory, 'mlp_exclude.onnx');
    const result = await quantizeModel(input, output, { mode: 'int8', nodesToExclude: ['fc1'] });
    expect(result.quantizedNodes.map((node) => node.name)).toEqual(['fc2']);
    expect(result.skippedNodes).toEqual([{ name: 'fc1', opType: 'MatMul', reason: 'excluded by nodesToExclude' }]);
    expect(opCounts(await loadOnnxModel(output))).toMatchObject({ MatMul: 1, MatMulInteger: 1 });
    const byType = await quantizeModel(input, output, { mode: 'int8', opTypesToExclude: ['Gemm'] });
    expect(byType.quantizedNodes.map((node) => node.name)).toEqual(['fc1']);
    const included = await quantizeModel(input, output, { mode: 'int8', nodesToQuantize: ['fc2'] });
    expect(included.quantizedNodes.map((node) => node.name)).toEqual(['fc2']);
  });

  it('leaves a MatMul of two activations in float and lists it with the reason', async () => {
    const input = await saveTestModel(buildMlpModel({ withActivationMatMul: true }), directory, 'mlp-gram.onnx');
    const output = path.join(directory, 'mlp_gram.onnx');
    const result = await quantizeModel(input, output, { mode: 'int8' });
    expect(result.skippedNodes).toEqual([{ name: 'gram', opType: 'MatMul', reason: 'the weight (input 1) is not a float32 constant initializer' }]);
    expect(result.notes.join(' ')).toContain('gram');
    expect(result.accuracy!.minCosineSimilarity).toBeGreaterThan(0.99);
  });

  it('refuses an already-quantized model, or copies it with a note', async () => {
    const input = await saveTestModel(buildMlpModel(), directory, 'mlp-twice.onnx');
    const once = path.join(directory, 'mlp_once.onnx');
    await quantizeModel(input, once, { mode: 'int8' });
    const twice = path.join(directory, 'mlp_twice.onnx');
    const error = await quantizeModel(once, twice, { mode: 'int8' }).catch((caught: unknown) => caught);
    expect(ConversionError.hasCode(error, 'UNSUPPORTED_FORMAT')).toBe(true);
    expect((error as ConversionError).message).toContain('MatMulInteger');
    await expect(stat(twice)).rejects.toThrow();
    const copied = await quantizeModel(once, twice, { mode: 'int8', onAlreadyQuantized: 'copy' });
    expect(copied.alreadyQuantized).toBe(true);
    expect(copied.quantizedNodes).toEqual([]);
    expect(opCounts(await loadOnnxModel(twice)).MatMulInteger).toBe(2);
  });

  it('rejects bad options naming them', async () => {
    const input = await saveTestModel(buildMlpModel(), directory, 'mlp-bad.onnx');
    await expect(quantizeModel(input, path.join(directory, 'bad.onnx'), { mode: 'int3' as never })).rejects.toThrow(/options\.mode/);
    await expect(quantizeModel(input, path.join(directory, 'bad.onnx'), { mode: 'q4', blockSize: 48 as never })).rejects.toThrow(/blockSize/);
    await expect(quantizeModel(input, input, { mode: 'int8' })).rejects.toThrow(/outputPath/);
  });

  it('reports a corrupt model as INVALID_MODEL_FILE', async () => {
    const { writeFile } = await import('node:fs/promises');
    const corrupt = path.join(directory, 'corrupt.onnx');
    await writeFile(corrupt, Buffer.from([0x08, 0x07, 0x12, 0xff, 0xff]));
    const error = await quantizeModel(corrupt, path.join(directory, 'corrupt_int8.onnx'), { mode: 'int8' }).catch((caught: unknown) => caught);
    expect(ConversionError.hasCode(error, 'INVALID_MODEL_FILE')).toBe(true);
  });
});
