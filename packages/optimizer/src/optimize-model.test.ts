import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ProgressEvent } from '@gpux/converter-core';
import { ConversionError } from '@gpux/converter-core';
import { DataType, isExternalTensor, loadOnnxModel, saveOnnxModel, serializeOnnxModel } from '@gpux/onnx';
import { optimizeModel } from './optimize-model';
import { buildSampleModel } from './passes/test-support/build-sample-model';
import { countOperators, maxAbsDifference, randomFloats, runOnnxModel } from './passes/test-support/run-onnx-model';

let directory: string;
let inputPath: string;
const feeds = { x: { data: randomFloats(3 * 16, 7), dims: [3, 16] } };

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'gpux-optimize-'));
  inputPath = path.join(directory, 'model.onnx');
  await saveOnnxModel(buildSampleModel(), inputPath);
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('optimizeModel', () => {
  test('O1: passes plus onnxruntime basic, validated, portable opset imports', async () => {
    const outputPath = path.join(directory, 'model_O1.onnx');
    const events: ProgressEvent[] = [];
    const result = await optimizeModel(inputPath, outputPath, { level: 'O1', onProgress: (event) => events.push(event) });
    expect(result.nodeCount).toEqual({ before: 14, after: 3 });
    expect(result.passTotals['eliminate-identity.identitiesRemoved']).toBe(2);
    expect(result.passTotals['eliminate-dropout.dropoutsRemoved']).toBe(1);
    expect(result.passTotals['deduplicate-initializers.initializersMerged']).toBe(1);
    expect(result.notes).toContain("Applied onnxruntime's 'basic' graph optimizations (portable: default-domain operators only).");
    expect(result.validation?.passed).toBe(true);
    expect(result.validation?.cases.length).toBeGreaterThanOrEqual(2);
    expect(events.filter((event) => event.type === 'phase-start').map((event) => event.phase)).toEqual(['optimize', 'write']);
    const optimized = await loadOnnxModel(outputPath);
    // onnxruntime turned MatMul+Add into Gemm and dropped the Mul by the folded 1.0.
    expect(countOperators(optimized)).toEqual({ Gemm: 2, Relu: 1 });
    expect(optimized.opsetImport).toEqual([{ domain: '', version: 17 }]);
    expect(optimized.irVersion).toBe(9);
    expect(optimized.graph!.output[0]!.name).toBe('y');
    const expected = await runOnnxModel(inputPath, feeds);
    const actual = await runOnnxModel(outputPath, feeds);
    expect(maxAbsDifference(actual.y!.values, expected.y!.values)).toBeLessThan(1e-5);
  });

  test('O1 without onnxruntime basic gives the TypeScript passes only', async () => {
    const outputPath = path.join(directory, 'model_ts_only.onnx');
    const result = await optimizeModel(inputPath, outputPath, { level: 1, onnxRuntimeBasic: false });
    expect(countOperators(await loadOnnxModel(outputPath))).toEqual({ MatMul: 2, Add: 2, Relu: 1, Mul: 1 });
    expect(result.nodeCount.after).toBe(6);
  });

  test('O4 writes float16 weights with float32 inputs and outputs, within the level tolerances', async () => {
    const outputPath = path.join(directory, 'model_O4.onnx');
    const result = await optimizeModel(inputPath, outputPath, { level: 'O4' });
    expect(result.float16Report?.castChainsRemaining).toBe(0);
    expect(result.validation?.passed).toBe(true);
    const model = await loadOnnxModel(outputPath);
    expect(model.graph!.input[0]!.type!.tensorType!.elemType).toBe(DataType.FLOAT32);
    expect(model.graph!.initializer.every((tensor) => tensor.dataType === DataType.FLOAT16)).toBe(true);
    expect((await stat(outputPath)).size).toBeLessThan((await stat(inputPath)).size * 0.75);
  });

  test('a model with external data keeps external data and validates', async () => {
    const externalInput = path.join(directory, 'external', 'model.onnx');
    await saveOnnxModel(buildSampleModel({ width: 64 }), externalInput, { externalData: true, sizeThreshold: 1024 });
    const outputPath = path.join(directory, 'external', 'model_optimized.onnx');
    const result = await optimizeModel(externalInput, outputPath, { level: 'O1' });
    expect(result.externalDataPath).toBe(`${outputPath}.data`);
    expect(result.notes.some((note) => note.includes('external data'))).toBe(true);
    expect(result.validation?.passed).toBe(true);
    const model = await loadOnnxModel(outputPath);
    expect(model.graph!.initializer.filter(isExternalTensor).map((tensor) => tensor.name).sort()).toEqual(['w1', 'w2']);
  });

  test('O4 on a model with external data converts every weight and still writes external data', async () => {
    const externalInput = path.join(directory, 'external', 'model.onnx');
    const outputPath = path.join(directory, 'external-O4', 'model_O4.onnx');
    const result = await optimizeModel(externalInput, outputPath, { level: 'O4' });
    expect(result.externalDataPath).toBe(`${outputPath}.data`);
    expect(result.validation?.passed).toBe(true);
    const model = await loadOnnxModel(outputPath);
    expect(model.graph!.initializer.filter(isExternalTensor).map((tensor) => [tensor.name, tensor.dataType])).toEqual(
      expect.arrayContaining([['w1', DataType.FLOAT16], ['w2', DataType.FLOAT16]]),
    );
  });

  test('the target option lowers the IR version when nothing newer is used', async () => {
    const ir11Input = path.join(directory, 'ir11.onnx');
    await saveOnnxModel(buildSampleModel({ irVersion: 11 }), ir11Input);
    const outputPath = path.join(directory, 'ir11_optimized.onnx');
    const result = await optimizeModel(ir11Input, outputPath, { level: 'O1', target: { runtime: 'onnxruntime-web', version: '1.20.0' } });
    expect(result.target?.applied).toEqual(['Lowered the IR version from 11 to 10.']);
    expect((await loadOnnxModel(outputPath)).irVersion).toBe(10);
  });

  test('corrupt and truncated files give INVALID_MODEL_FILE and leave no output', async () => {
    const corrupt = path.join(directory, 'corrupt.onnx');
    await writeFile(corrupt, Buffer.from('this is not an onnx model at all, just text'));
    const truncated = path.join(directory, 'truncated.onnx');
    await writeFile(truncated, serializeOnnxModel(buildSampleModel()).subarray(0, 300));
    for (const file of [corrupt, truncated, path.join(directory, 'missing.onnx')]) {
      const outputPath = `${file}.out.onnx`;
      const error = await optimizeModel(file, outputPath).catch((caught: unknown) => caught);
      expect(ConversionError.isInstance(error) && error.code).toBe('INVALID_MODEL_FILE');
      expect(existsSync(outputPath)).toBe(false);
    }
  });

  test('a result outside the tolerances throws VALIDATION_FAILED and leaves no output', async () => {
    const outputPath = path.join(directory, 'too_strict.onnx');
    const error = await optimizeModel(inputPath, outputPath, { level: 'O4', tolerances: { atol: 0, rtol: 0 } }).catch((caught: unknown) => caught);
    expect(ConversionError.isInstance(error) && error.code).toBe('VALIDATION_FAILED');
    expect(existsSync(outputPath)).toBe(false);
  });

  test('a cancelled call throws CANCELLED and writes nothing', async () => {
    const controller = new AbortController();
    controller.abort();
    const outputPath = path.join(directory, 'cancelled.onnx');
    const error = await optimizeModel(inputPath, outputPath, { level: 'O2', signal: controller.signal }).catch((caught: unknown) => caught);
    expect(ConversionError.isInstance(error) && error.code).toBe('CANCELLED');
    expect((await readdir(directory)).filter((name) => name.startsWith('cancelled'))).toEqual([]);
  });

  test('bad arguments are named', async () => {
    await expect(optimizeModel('', 'out.onnx')).rejects.toThrow(/inputPath/);
    await expect(optimizeModel(inputPath, inputPath)).rejects.toThrow(/outputPath/);
    await expect(optimizeModel(inputPath, path.join(directory, 'x.onnx'), { level: 'O9' as never })).rejects.toThrow(/level/);
  });
});
