import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ConverterAdapter, ExportResult, ProgressEvent } from '@gpux/converter-core';
import { ADAPTER_SPECIFICATION_VERSION, convert, drainEvents } from '@gpux/converter-core';
import { DataType, loadOnnxModel, saveOnnxModel } from '@gpux/onnx';
import { buildSampleModel } from '../passes/test-support/build-sample-model';
import { countOperators } from '../passes/test-support/run-onnx-model';
import { createFloat16Stage } from './create-float16-stage';
import { createOptimizationStage } from './create-optimization-stage';

/** A real adapter for the test: a folder with sample.json "exports" the sample MLP. */
const sampleAdapter: ConverterAdapter = {
  specificationVersion: ADAPTER_SPECIFICATION_VERSION,
  name: 'sample-test',
  framework: 'pytorch',
  detect: (source) => Promise.resolve(source.kind === 'directory' && existsSync(path.join(source.path, 'sample.json')) ? { framework: 'pytorch', format: 'sample', reason: 'sample.json is present' } : undefined),
  async *export(request): AsyncGenerator<ProgressEvent, ExportResult, void> {
    const modelPath = path.join(request.outputDirectory, 'model.onnx');
    await saveOnnxModel(buildSampleModel(), modelPath);
    yield { type: 'percent', phase: 'export', percent: 100 };
    return {
      files: [{ name: 'model', path: modelPath, inputs: [{ name: 'x', dtype: 'float32', shape: ['batch', 16] }], outputs: [{ name: 'y', dtype: 'float32', shape: ['batch', 16] }] }],
      task: 'feature-extraction',
      opset: 17,
      exporter: 'test',
      notes: [],
      toolVersions: {},
      referenceCases: [],
    };
  },
};

let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'gpux-stages-'));
  await writeFile(path.join(directory, 'sample.json'), '{}');
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('pipeline stages', () => {
  test('factories describe the stages', () => {
    const optimization = createOptimizationStage({ level: 2 });
    expect(optimization).toMatchObject({ name: 'optimize-O2', phase: 'optimize', fileSuffix: '_optimized', tolerances: { atol: 1e-4, rtol: 1e-3 }, options: { level: 'O2' } });
    expect(createOptimizationStage({ level: 'O3', fileSuffix: '_O3' }).fileSuffix).toBe('_O3');
    const fp16 = createFloat16Stage({ inputFrom: 'optimize-O2', opBlockList: ['Softmax'] });
    expect(fp16).toMatchObject({ name: 'fp16', phase: 'quantize', fileSuffix: '_fp16', inputFrom: 'optimize-O2', options: { opBlockList: ['Softmax'], optimizeGraphFirst: true } });
    expect(fp16.tolerances?.atol).toBeGreaterThan(optimization.tolerances!.atol!);
    expect(() => createOptimizationStage({ level: 'O7' as never })).toThrow(/level/);
  });

  test('convert() writes model_optimized.onnx and model_fp16.onnx, each validated against the export', async () => {
    const outputDirectory = path.join(directory, 'out');
    const result = await convert({
      source: directory,
      adapters: [sampleAdapter],
      outputDirectory,
      variants: [createOptimizationStage({ level: 'O1' }), createFloat16Stage({ inputFrom: 'optimize-O1' })],
    });
    const files = (await readdir(path.join(outputDirectory, 'onnx'))).sort();
    expect(files).toEqual(['model.onnx', 'model_fp16.onnx', 'model_optimized.onnx']);
    const optimized = await loadOnnxModel(path.join(outputDirectory, 'onnx', 'model_optimized.onnx'));
    expect(countOperators(optimized)).toEqual({ Gemm: 2, Relu: 1 });
    const fp16 = await loadOnnxModel(path.join(outputDirectory, 'onnx', 'model_fp16.onnx'));
    expect(fp16.graph!.initializer.every((tensor) => tensor.dataType === DataType.FLOAT16)).toBe(true);
    expect(fp16.graph!.input[0]!.type!.tensorType!.elemType).toBe(DataType.FLOAT32);
    const variantValidation = result.report.validation.filter((entry) => entry.variant !== 'fp32').map((entry) => [entry.variant, entry.status]);
    expect(variantValidation).toEqual([['optimize-O1', 'passed'], ['fp16', 'passed']]);
    const report = JSON.stringify(result.report);
    expect(report).toContain('optimize-O1');
    expect(report).toContain('3 nodes');
  });

  test('the stage runs on its own and forwards no phase boundaries', async () => {
    const modelPath = path.join(directory, 'direct.onnx');
    await saveOnnxModel(buildSampleModel(), modelPath);
    const events: ProgressEvent[] = [];
    const outputPath = path.join(directory, 'direct_fp16.onnx');
    const result = await drainEvents(createFloat16Stage({ optimizeGraphFirst: false }).run({ modelPath, outputPath, workDirectory: directory }), (event) => events.push(event));
    expect(events.some((event) => event.type === 'phase-start' || event.type === 'phase-end')).toBe(false);
    expect(result.notes[0]).toMatch(/node\(s\) in float16/);
    expect(countOperators(await loadOnnxModel(outputPath)).Identity).toBe(2);
  });
});
