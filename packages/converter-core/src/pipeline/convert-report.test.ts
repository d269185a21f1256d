import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { ConversionReport } from '../report/conversion-report';
import { LINEAR_BIAS, LINEAR_WEIGHTS, writeTestOnnxModel } from '../validation/test-support/build-test-onnx-model';
import { convert } from './convert';
import type { ModelVariantStage } from './model-variant-stage';
import { LinearTestAdapter } from './test-support/linear-test-adapter';

let root: string;
let sourceDirectory: string;
let outputDirectory: string;

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'gpux-convert-report-test-'));
  sourceDirectory = path.join(root, 'source');
  outputDirectory = path.join(root, 'out', 'linear-onnx');
  await mkdir(sourceDirectory);
  await writeFile(path.join(sourceDirectory, 'linear.json'), '{}');
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const MiB = 1024 * 1024;

// A handle on V8's collector (jest runs without --expose-gc), so the stage can give its memory back.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** Holds 200 MiB of touched memory for 400 ms, releases it, then copies the model. */
const allocatingStage: ModelVariantStage = {
  name: 'quantize-allocating',
  phase: 'quantize',
  fileSuffix: '_quantized',
  tolerances: { atol: 1e-6, rtol: 0 },
  async *run({ modelPath, outputPath }) {
    yield* [];
    let held: Buffer | undefined = Buffer.allocUnsafe(200 * MiB).fill(7);
    await sleep(400);
    const heldRss = process.memoryUsage.rss();
    await copyFile(modelPath, outputPath);
    const notes = [`held ${held.length} bytes`];
    held = undefined;
    collectGarbage();
    // V8 frees array buffers on a background thread: wait (up to 3 s) until the memory is back.
    for (let tries = 0; tries < 60 && process.memoryUsage.rss() > heldRss - 150 * MiB; tries += 1) await sleep(50);
    return { notes };
  },
};

/** Writes the linear model with a float16 input named `features` (cast to float32 inside) and a `batch` dim. */
const float16InputStage: ModelVariantStage = {
  name: 'fp16-io',
  phase: 'quantize',
  fileSuffix: '_fp16',
  tolerances: { atol: 1e-2, rtol: 1e-2 },
  async *run({ outputPath }) {
    yield* [];
    await writeTestOnnxModel(outputPath, {
      inputs: [{ name: 'x', dtype: 'float16', shape: ['batch', 4] }],
      outputs: [{ name: 'logits', dtype: 'float32', shape: ['batch', 3] }],
      initializers: [
        { name: 'W', dtype: 'float32', shape: [4, 3], values: LINEAR_WEIGHTS },
        { name: 'b', dtype: 'float32', shape: [3], values: LINEAR_BIAS },
      ],
      nodes: [
        { opType: 'Cast', inputs: ['x'], outputs: ['x32'], attributes: [{ name: 'to', int: 1 }] },
        { opType: 'MatMul', inputs: ['x32', 'W'], outputs: ['xw'] },
        { opType: 'Add', inputs: ['xw', 'b'], outputs: ['logits'] },
      ],
    });
    return { notes: [] };
  },
};

const biasStage: ModelVariantStage = {
  name: 'quantize-bias',
  phase: 'quantize',
  fileSuffix: '_int8',
  async *run({ outputPath }) {
    yield* [];
    await writeTestOnnxModel(outputPath, {
      inputs: [{ name: 'x', dtype: 'float32', shape: ['batch_size', 4] }],
      outputs: [{ name: 'logits', dtype: 'float32', shape: ['batch_size', 3] }],
      initializers: [
        { name: 'W', dtype: 'float32', shape: [4, 3], values: LINEAR_WEIGHTS },
        { name: 'b', dtype: 'float32', shape: [3], values: LINEAR_BIAS.map((value) => value + 0.25) },
      ],
      nodes: [
        { opType: 'MatMul', inputs: ['x', 'W'], outputs: ['xw'] },
        { opType: 'Add', inputs: ['xw', 'b'], outputs: ['logits'] },
      ],
    });
    return { notes: [] };
  },
};

describe('conversion report', () => {
  it('records each phase its own peak RSS: a stage holding 200 MiB peaks above the export; the Python child peak sits on export', async () => {
    const result = await convert({ source: sourceDirectory, adapters: [new LinearTestAdapter()], outputDirectory, variants: [allocatingStage] });
    const phases = result.report.phases;
    const exportPhase = phases.find((phase) => phase.phase === 'export')!;
    const quantizePhase = phases.find((phase) => phase.phase === 'quantize')!;
    const validateAfter = phases.at(-1)!;
    expect(validateAfter).toMatchObject({ phase: 'validate', label: 'onnx/model_quantized.onnx' });
    expect(quantizePhase.peakRssBytes - exportPhase.peakRssBytes).toBeGreaterThan(150 * MiB);
    // Per phase, not the process maximum so far: the phase after the stage gave the memory back peaks lower.
    expect(quantizePhase.peakRssBytes - validateAfter.peakRssBytes).toBeGreaterThan(100 * MiB);
    expect(validateAfter.processPeakRssBytes).toBeGreaterThanOrEqual(quantizePhase.peakRssBytes);
    expect(exportPhase.childPeakRssBytes).toBe(12_345_678);
    expect(phases.filter((phase) => phase.childPeakRssBytes !== undefined).map((phase) => phase.phase)).toEqual(['export']);
    for (const phase of phases) {
      expect(phase.peakRssBytes).toBeGreaterThan(10 * MiB);
      // The lifetime peak at the end of a phase can never be below what the phase sampled.
      expect(phase.processPeakRssBytes).toBeGreaterThanOrEqual(phase.peakRssBytes);
    }
    expect(result.report.peakRssBytes).toBeGreaterThanOrEqual(quantizePhase.peakRssBytes);
    expect(result.report.exportChildPeakRssBytes).toBe(12_345_678);
  });

  it('records each variant file with its own IO (an fp16 input with another dim name), not the export\'s', async () => {
    const result = await convert({ source: sourceDirectory, adapters: [new LinearTestAdapter()], outputDirectory, variants: [float16InputStage] });
    expect(result.report.models).toEqual([
      {
        path: 'onnx/model.onnx',
        modelName: 'model',
        variant: 'fp32',
        inputs: [{ name: 'x', dtype: 'float32', shape: ['batch_size', 4] }],
        outputs: [{ name: 'logits', dtype: 'float32', shape: ['batch_size', 3] }],
      },
      {
        path: 'onnx/model_fp16.onnx',
        modelName: 'model',
        variant: 'fp16-io',
        inputs: [{ name: 'x', dtype: 'float16', shape: ['batch', 4] }],
        outputs: [{ name: 'logits', dtype: 'float32', shape: ['batch', 3] }],
      },
    ]);
    expect(result.report.validation.map((entry) => [entry.path, entry.status])).toEqual([['onnx/model.onnx', 'passed'], ['onnx/model_fp16.onnx', 'passed']]);
  });

  it('writes the export and the variants that pass when one variant fails, and records which one and why', async () => {
    const result = await convert({ source: sourceDirectory, adapters: [new LinearTestAdapter()], outputDirectory, variants: [float16InputStage, biasStage] });
    // It survives JSON (what `--json` prints).
    const report = JSON.parse(JSON.stringify(result.report)) as ConversionReport;
    expect(report.validation.map((entry) => [entry.path, entry.variant, entry.status])).toEqual([
      ['onnx/model.onnx', 'fp32', 'passed'],
      ['onnx/model_fp16.onnx', 'fp16-io', 'passed'],
      ['onnx/model_int8.onnx', 'quantize-bias', 'failed'],
    ]);
    const failedRecord = report.validation[2]!;
    expect(failedRecord.code).toBe('VALIDATION_FAILED');
    expect(failedRecord.reason).toMatch(/^Validation of onnx\/model_int8\.onnx against onnx\/model\.onnx failed: \[batch_size=1\] /);
    const failed = failedRecord.report!;
    expect(failed.passed).toBe(false);
    expect(failed.cases.map((entry) => entry.outputs.map((output) => [output.name, output.passed]))).toEqual([[['logits', false]], [['logits', false]]]);
    expect(failed.cases[0]!.outputs[0]!.maxAbsDiff!).toBeCloseTo(0.25, 5);
    expect(failed.cases[0]!.outputs[0]!.mismatchCount).toBe(failed.cases[0]!.outputs[0]!.elementCount);
    expect(report.failure).toBeUndefined();
    // The failed file is not shipped: not in the models, the variant's files, the artifacts or on disk.
    expect(report.models.map((model) => model.variant)).toEqual(['fp32', 'fp16-io']);
    expect(report.variants.map((variant) => [variant.name, variant.files])).toEqual([['fp16-io', ['onnx/model_fp16.onnx']], ['quantize-bias', []]]);
    expect(report.artifacts.map((artifact) => artifact.path)).not.toContain('onnx/model_int8.onnx');
    expect((await readdir(path.join(outputDirectory, 'onnx'))).sort()).toEqual(['model.onnx', 'model_fp16.onnx']);
  });
});
