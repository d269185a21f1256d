import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConversionCache, LocalModelManager } from '@gpux/model-manager';
import { parse } from 'yaml';
import { ConversionError } from '../conversion-error';
import type { ProgressEvent } from '../progress-event';
import type { ConversionReport } from '../report/conversion-report';
import type { ValidationReport } from '../validation/validation-report';
import { linearModel, writeTestOnnxModel } from '../validation/test-support/build-test-onnx-model';
import { convert } from './convert';
import type { ModelVariantStage } from './model-variant-stage';
import { LinearTestAdapter } from './test-support/linear-test-adapter';

let root: string;
let sourceDirectory: string;
let outputDirectory: string;

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'gpux-convert-test-'));
  sourceDirectory = path.join(root, 'source');
  outputDirectory = path.join(root, 'out', 'linear-onnx');
  await mkdir(sourceDirectory);
  await writeFile(path.join(sourceDirectory, 'linear.json'), '{}');
  await writeFile(path.join(sourceDirectory, 'config.json'), JSON.stringify({ id2label: { 2: 'pos', 0: 'neg', 1: 'neu' }, max_position_embeddings: 512, vocab_size: 50 }));
  await writeFile(path.join(sourceDirectory, 'tokenizer.json'), '{"version": "1.0"}');
  await writeFile(path.join(sourceDirectory, 'tokenizer_config.json'), JSON.stringify({ model_max_length: 128 }));
  await writeFile(path.join(sourceDirectory, 'vocab.txt'), '[PAD]\n[UNK]\n');
  await writeFile(path.join(sourceDirectory, 'weights.bin'), 'not copied');
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const copyStage = (suffix = '_quantized'): ModelVariantStage => ({
  name: 'quantize-copy',
  phase: 'quantize',
  fileSuffix: suffix,
  tolerances: { atol: 1e-6, rtol: 0 },
  async *run({ modelPath, outputPath }) {
    yield { type: 'percent', phase: 'quantize', percent: 100 };
    await copyFile(modelPath, outputPath);
    return { notes: ['copied'], toolVersions: { 'copy-stage': '0.0.1' } };
  },
});

const biasStage: ModelVariantStage = {
  name: 'quantize-bias',
  phase: 'quantize',
  fileSuffix: '_int8',
  async *run({ outputPath }) {
    yield* [];
    await writeTestOnnxModel(outputPath, linearModel([0.1, -0.2, 0.55]));
    return { notes: [] };
  },
};

async function siblingsOf(directory: string): Promise<string[]> {
  return readdir(path.dirname(directory)).catch(() => []);
}

describe('convert', () => {
  it('runs every phase in order and writes the Optimum layout, gpux.yml and the report', async () => {
    const adapter = new LinearTestAdapter();
    const events: ProgressEvent[] = [];
    const result = await convert({ source: sourceDirectory, adapters: [adapter], outputDirectory, variants: [copyStage()], onProgress: (event) => events.push(event) });

    expect(events.filter((event) => event.type === 'phase-start').map((event) => (event.type === 'phase-start' ? event.phase : ''))).toEqual([
      'resolve', 'detect', 'export', 'validate', 'quantize', 'validate', 'write',
    ]);
    const ends = events.filter((event): event is Extract<ProgressEvent, { type: 'phase-end' }> => event.type === 'phase-end');
    expect(ends).toHaveLength(7);
    expect(ends.every((event) => event.durationMs >= 0 && (event.peakRssBytes ?? 0) > 10 * 1024 * 1024)).toBe(true);
    expect(events.indexOf(events.find((event) => event.type === 'percent' && event.phase === 'export')!)).toBeGreaterThan(2);

    expect(result.directory).toBe(outputDirectory);
    expect(result.cached).toBe(false);
    expect(result.modelPath).toBe(path.join(outputDirectory, 'onnx', 'model.onnx'));
    expect((await readdir(outputDirectory)).sort()).toEqual(['config.json', 'conversion-report.json', 'gpux.yml', 'onnx', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt']);
    expect((await readdir(path.join(outputDirectory, 'onnx'))).sort()).toEqual(['model.onnx', 'model_quantized.onnx']);
    expect(await siblingsOf(outputDirectory)).toEqual(['linear-onnx']);
    expect(existsSync(adapter.lastRequest!.workDirectory)).toBe(false);

    const report = JSON.parse(await readFile(result.reportPath, 'utf8')) as typeof result.report;
    expect(report.source).toMatchObject({ id: sourceDirectory, format: 'test-linear', path: sourceDirectory, kind: 'directory' });
    expect(report).toMatchObject({ framework: 'pytorch', adapter: 'linear-test', task: 'text-classification', opset: 17, exportChildPeakRssBytes: 12_345_678 });
    expect(report.toolVersions).toMatchObject({ 'linear-test': '1.0.0', 'copy-stage': '0.0.1', node: process.version, 'onnxruntime-node': '1.30.0' });
    const modelBytes = await readFile(path.join(outputDirectory, 'onnx', 'model.onnx'));
    expect(report.artifacts.find((artifact) => artifact.path === 'onnx/model.onnx')).toEqual({
      path: 'onnx/model.onnx', kind: 'model', variant: 'fp32', modelName: 'model', bytes: modelBytes.length, sha256: createHash('sha256').update(modelBytes).digest('hex'),
    });
    expect(report.artifacts.find((artifact) => artifact.path === 'onnx/model_quantized.onnx')).toMatchObject({ variant: 'quantize-copy', kind: 'model' });
    expect(report.artifacts.map((artifact) => artifact.path)).toContain('gpux.yml');
    expect(report.models.map((model) => [model.path, model.variant])).toEqual([['onnx/model.onnx', 'fp32'], ['onnx/model_quantized.onnx', 'quantize-copy']]);
    expect(report.models[0]!.inputs).toEqual([{ name: 'x', dtype: 'float32', shape: ['batch_size', 4] }]);
    expect(report.validation.map((entry) => [entry.path, entry.status])).toEqual([['onnx/model.onnx', 'passed'], ['onnx/model_quantized.onnx', 'passed']]);
    const exportValidation = report.validation[0]!.report as ValidationReport;
    expect(exportValidation.cases.map((entry) => entry.label)).toEqual(['batch_size=1', 'batch_size=3']);
    expect(exportValidation.cases[1]!.outputs[0]!.maxAbsDiff!).toBeLessThan(1e-5);
    expect(report.validation[1]!.report!.reference).toBe('onnx/model.onnx');
    expect(report.validation[1]!.report!.modelPath).toBe('onnx/model_quantized.onnx');
    expect(report.validation[1]!.report!.cases[0]!.outputs[0]!.maxAbsDiff).toBe(0);
    expect(report.phases.find((phase) => phase.phase === 'export')).toMatchObject({ label: 'linear-test', childPeakRssBytes: 12_345_678 });
    expect(report.variants).toEqual([{ name: 'quantize-copy', phase: 'quantize', files: ['onnx/model_quantized.onnx'], notes: ['copied'] }]);

    const gpux = parse(await readFile(result.gpuxConfigPath, 'utf8')) as { description: string; metadata: { variants: unknown } };
    expect(gpux).toMatchObject({
      name: 'source',
      version: '1.0.0',
      model: { source: './onnx/model.onnx', format: 'onnx' },
      inputs: [{ name: 'x', type: 'float32', shape: [-1, 4], required: true }],
      outputs: [{ name: 'logits', type: 'float32', shape: [-1, 3], labels: ['neg', 'neu', 'pos'] }],
      runtime: { gpu: { memory: '1GB', backend: 'auto' } },
      metadata: { symbolic_shapes: { inputs: { x: ['batch_size', 4] }, outputs: { logits: ['batch_size', 3] } } },
      preprocessing: { tokenizer: './tokenizer.json', max_length: 128 },
    });
    expect(gpux.description).toContain('LinearForSequenceClassification');
    expect(gpux.metadata.variants).toEqual({ 'model:quantize-copy': 'onnx/model_quantized.onnx' });
  });

  it('leaves no output directory and no partial files when the adapter fails mid-export', async () => {
    const adapter = new LinearTestAdapter({ failAfterWrite: true });
    const error = await convert({ source: sourceDirectory, adapters: [adapter], outputDirectory }).catch((caught: unknown) => caught);
    expect(ConversionError.hasCode(error, 'EXPORT_FAILED')).toBe(true);
    expect(existsSync(outputDirectory)).toBe(false);
    expect(await siblingsOf(outputDirectory)).toEqual([]);
    expect(existsSync(adapter.lastRequest!.workDirectory)).toBe(false);
  });

  it('fails with VALIDATION_FAILED (numbers in the report) when the export disagrees with the reference, writing nothing', async () => {
    const error = await convert({ source: sourceDirectory, adapters: [new LinearTestAdapter({ referenceOffset: 0.5 })], outputDirectory }).catch((caught: unknown) => caught);
    expect(ConversionError.hasCode(error, 'VALIDATION_FAILED')).toBe(true);
    const details = (error as ConversionError).details as { report: ConversionReport; validation: ValidationReport; path: string };
    expect(details.path).toBe('onnx/model.onnx');
    expect(details.validation.cases[0]!.outputs[0]!.maxAbsDiff!).toBeCloseTo(0.5, 5);
    expect(details.report.validation).toEqual([{ path: 'onnx/model.onnx', variant: 'fp32', status: 'failed', report: details.validation }]);
    expect(details.report.failure).toMatchObject({ code: 'VALIDATION_FAILED', path: 'onnx/model.onnx' });
    expect(details.report.phases.map((phase) => phase.phase)).toEqual(['resolve', 'detect', 'export', 'validate']);
    expect(details.report.artifacts).toEqual([]);
    expect((error as Error).message).toContain('onnx/model.onnx against reference-outputs failed');
    expect(await siblingsOf(outputDirectory)).toEqual([]);
  });

  it('leaves out a variant that disagrees with the export, and still writes the export', async () => {
    const result = await convert({ source: sourceDirectory, adapters: [new LinearTestAdapter()], outputDirectory, variants: [biasStage] });
    const failed = result.report.validation.find((entry) => entry.status === 'failed');
    expect(failed).toMatchObject({ path: 'onnx/model_int8.onnx', variant: 'quantize-bias', code: 'VALIDATION_FAILED' });
    expect(failed?.reason).toMatch(/^Validation of onnx\/model_int8\.onnx against onnx\/model\.onnx failed: /);
    expect(failed?.report?.reference).toBe('onnx/model.onnx');
    expect(failed?.report?.cases[0]?.outputs[0]?.maxAbsDiff).toBeCloseTo(0.25, 5);
    expect(await readdir(path.join(outputDirectory, 'onnx'))).toEqual(['model.onnx']);
  });

  it('cancels mid-export with CANCELLED and leaves nothing behind', async () => {
    const adapter = new LinearTestAdapter({ waitForAbort: true });
    const controller = new AbortController();
    const error = await convert({
      source: sourceDirectory,
      adapters: [adapter],
      outputDirectory,
      signal: controller.signal,
      onProgress: (event) => {
        if (event.type === 'percent' && event.phase === 'export') controller.abort();
      },
    }).catch((caught: unknown) => caught);
    expect(ConversionError.hasCode(error, 'CANCELLED')).toBe(true);
    expect(await siblingsOf(outputDirectory)).toEqual([]);
    expect(existsSync(adapter.lastRequest!.workDirectory)).toBe(false);
  });

  it('refuses a non-empty output directory with OUTPUT_EXISTS unless overwrite is set', async () => {
    await mkdir(outputDirectory, { recursive: true });
    await writeFile(path.join(outputDirectory, 'keep.txt'), 'mine');
    const adapter = new LinearTestAdapter();
    await expect(convert({ source: sourceDirectory, adapters: [adapter], outputDirectory })).rejects.toMatchObject({ code: 'OUTPUT_EXISTS' });
    expect(adapter.exportCount).toBe(0);
    expect(await readFile(path.join(outputDirectory, 'keep.txt'), 'utf8')).toBe('mine');
    await convert({ source: sourceDirectory, adapters: [adapter], outputDirectory, overwrite: true });
    expect(existsSync(path.join(outputDirectory, 'keep.txt'))).toBe(false);
    expect(existsSync(path.join(outputDirectory, 'onnx', 'model.onnx'))).toBe(true);
    expect(await siblingsOf(outputDirectory)).toEqual(['linear-onnx']);
  });

  it('says SOURCE_NOT_FOUND (not UNSUPPORTED_FORMAT) for a local path that does not exist', async () => {
    const missing = path.join(root, 'no-such-model');
    await expect(convert({ source: missing, adapters: [new LinearTestAdapter()], outputDirectory })).rejects.toMatchObject({
      code: 'SOURCE_NOT_FOUND',
      message: expect.stringContaining(`The model path ${missing} does not exist`) as unknown,
    });
  });

  it('says UNSUPPORTED_FORMAT when no adapter recognises the source', async () => {
    await rm(path.join(sourceDirectory, 'linear.json'));
    await expect(convert({ source: sourceDirectory, adapters: [new LinearTestAdapter()], outputDirectory })).rejects.toMatchObject({ code: 'UNSUPPORTED_FORMAT' });
    await expect(convert({ source: sourceDirectory, adapters: [new LinearTestAdapter()], outputDirectory, framework: 'tensorflow' })).rejects.toMatchObject({
      code: 'UNSUPPORTED_FORMAT',
      message: expect.stringContaining('framework "tensorflow"') as unknown,
    });
  });

  it('records the conversion in a real ConversionCache and returns it on the second run; force converts again', async () => {
    const cache = new ConversionCache({ directory: path.join(root, 'cache') });
    const adapter = new LinearTestAdapter();
    const base = { source: sourceDirectory, adapters: [adapter], modelManagers: [new LocalModelManager()], cache };
    const first = await convert({ ...base, outputDirectory });
    expect(first.cached).toBe(false);
    expect(first.report.source.revision).toMatch(/\S+/);
    expect(first.cacheDirectory!.startsWith(cache.directory)).toBe(true);

    const messages: string[] = [];
    const secondDirectory = path.join(root, 'out', 'second');
    const second = await convert({ ...base, outputDirectory: secondDirectory, onProgress: (event) => event.type === 'message' && messages.push(event.message) });
    expect(second.cached).toBe(true);
    expect(adapter.exportCount).toBe(1);
    expect(messages.some((message) => message.startsWith('Using the cached conversion'))).toBe(true);
    expect(await readFile(path.join(secondDirectory, 'onnx', 'model.onnx'))).toEqual(await readFile(path.join(outputDirectory, 'onnx', 'model.onnx')));
    expect(existsSync(path.join(secondDirectory, 'manifest.json'))).toBe(false);
    expect(second.report.artifacts).toEqual(first.report.artifacts);

    const cacheOnly = await convert(base);
    expect(cacheOnly).toMatchObject({ cached: true, directory: first.cacheDirectory });
    expect(adapter.exportCount).toBe(1);

    const forced = await convert({ ...base, outputDirectory: path.join(root, 'out', 'third'), force: true });
    expect(forced.cached).toBe(false);
    expect(adapter.exportCount).toBe(2);
  });

  it('leaves the cache as it was when a cached conversion fails', async () => {
    const cache = new ConversionCache({ directory: path.join(root, 'cache') });
    const base = { source: sourceDirectory, modelManagers: [new LocalModelManager()], cache };
    await expect(convert({ ...base, adapters: [new LinearTestAdapter({ failAfterWrite: true })] })).rejects.toMatchObject({ code: 'EXPORT_FAILED' });
    expect(await cache.listConversions()).toEqual([]);
    expect((await readdir(cache.directory).catch(() => [] as string[])).filter((name) => !name.startsWith('.'))).toEqual([]);
  });
});
