// The GPUX runtime (PyPI gpux 0.1.1, the managed `gpux-runtime` environment) builds and runs what
// gpux-convert writes: `gpux build` on default and --static-shapes output, `gpux run` (and GPUX's
// runtime API, for float inputs) on static output, compared with onnxruntime-node on the same input.
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadOnnxRuntime } from '@gpux/converter-core';
import { parse } from 'yaml';
import { gpuxBinDirectory, gpuxRuntimeScript, makeClientModel, runProgram } from '../test-support/client-models';
import { makeTinyBert } from '../test-support/make-tiny-bert';
import { runBuiltCli } from '../test-support/run-built-cli';

interface GpuxYaml {
  inputs: Array<{ name: string; type: string; shape: number[] }>;
  outputs: Array<{ name: string; shape: number[]; labels?: string[] }>;
  runtime: { batch_size?: number; gpu: { memory?: string } };
  metadata: { static_shapes?: Record<string, number>; symbolic_shapes?: { inputs?: Record<string, unknown[]> }; gpux_runtime: { runnable: boolean } };
}

const maxAbsDiff = (left: readonly number[], right: readonly number[]): number => left.reduce((worst, value, index) => Math.max(worst, Math.abs(value - (right[index] as number))), 0);
const flat = (value: unknown): number[] => (Array.isArray(value) ? value.flatMap(flat) : [value as number]);

async function onnxRuntimeOutputs(modelPath: string, feeds: Record<string, { type: 'int64' | 'float32'; data: number[]; dims: number[] }>): Promise<Record<string, number[]>> {
  const ort = loadOnnxRuntime();
  const session = await ort.InferenceSession.create(modelPath);
  try {
    const tensors = Object.fromEntries(
      Object.entries(feeds).map(([name, feed]) => [name, feed.type === 'int64' ? new ort.Tensor('int64', BigInt64Array.from(feed.data.map(BigInt)), feed.dims) : new ort.Tensor('float32', Float32Array.from(feed.data), feed.dims)]),
    );
    const results = await session.run(tensors);
    return Object.fromEntries(Object.entries(results).map(([name, tensor]) => [name, Array.from(tensor.data as Float32Array)]));
  } finally {
    await session.release();
  }
}

describe('the GPUX runtime (gpux 0.1.1) on gpux-convert output', () => {
  let scratch: string;
  let gpuxBin: string;

  beforeAll(async () => {
    scratch = await mkdtemp(path.join(os.tmpdir(), 'gpux-client-'));
    gpuxBin = await gpuxBinDirectory();
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  describe('a BERT text classifier', () => {
    let source: string;
    beforeAll(async () => {
      source = path.join(scratch, 'tiny-bert');
      await makeTinyBert(source);
    });

    it('default output: gpux.yml has integer shapes (-1 dynamic) with the names in metadata, and `gpux build` accepts it', async () => {
      const output = path.join(scratch, 'bert-dynamic');
      const run = await runBuiltCli(['convert', source, '-o', output, '--no-latency']);
      expect(run.stderr).not.toMatch(/error \[/);
      expect(run.exitCode).toBe(0);
      expect(run.stdout).toContain('GPUX 0.1.1 runs only models whose input dims are fixed');
      const config = parse(await readFile(path.join(output, 'gpux.yml'), 'utf8')) as GpuxYaml;
      expect(config.inputs.map((input) => input.shape)).toEqual([[-1, -1], [-1, -1], [-1, -1]]);
      expect(config.outputs[0]?.shape).toEqual([-1, 3]);
      expect(config.metadata.symbolic_shapes?.inputs?.input_ids).toEqual(['batch_size', 'sequence_length']);
      expect(config.metadata.gpux_runtime.runnable).toBe(false);
      const build = await runProgram(path.join(gpuxBin, 'gpux'), ['build', '.'], { cwd: output });
      expect(`${build.stdout}${build.stderr}`).toContain('Build completed successfully');
      expect(build.code).toBe(0);
      expect(existsSync(path.join(output, '.gpux', 'model_info.json'))).toBe(true);
    });

    it('quantize and optimize take --static-shapes on an ONNX file: static output, validated at those sizes; an unknown dim name is a usage error', async () => {
      const exported = path.join(scratch, 'bert-for-transforms');
      expect((await runBuiltCli(['convert', source, '-o', exported, '--no-latency'])).exitCode).toBe(0);
      const modelPath = path.join(exported, 'onnx', 'model.onnx');
      const quantized = await runBuiltCli(['quantize', modelPath, '--mode', 'int8', '--static-shapes', 'batch_size=2,sequence_length=5', '-o', path.join(scratch, 'static_int8.onnx'), '--json']);
      expect(quantized.exitCode).toBe(0);
      const quantizeResult = JSON.parse(quantized.stdout.trim().split('\n').at(-1) as string) as { notes: string[]; validation: { passed: boolean; cases: Array<{ label: string }> } };
      expect(quantizeResult.notes[0]).toContain('static shapes batch_size=2, sequence_length=5 fixed in the graph (every input dim is static)');
      expect(quantizeResult.validation.passed).toBe(true);
      expect(quantizeResult.validation.cases.every((entry) => entry.label === 'static shapes')).toBe(true);
      const ort = loadOnnxRuntime();
      const session = await ort.InferenceSession.create(path.join(scratch, 'static_int8.onnx'));
      const declared = (session.inputMetadata as unknown as ReadonlyArray<{ name: string; shape?: ReadonlyArray<number | string> }>).map((input) => input.shape);
      await session.release();
      expect(declared).toEqual([[2, 5], [2, 5], [2, 5]]);
      const optimized = await runBuiltCli(['optimize', modelPath, '--level', 'O2', '--static-shapes', 'batch_size=1', '-o', path.join(scratch, 'static_o2.onnx'), '--json']);
      expect(optimized.exitCode).toBe(0);
      expect((JSON.parse(optimized.stdout.trim().split('\n').at(-1) as string) as { notes: string[] }).notes[0]).toContain('still dynamic: sequence_length');
      const unknown = await runBuiltCli(['quantize', modelPath, '--static-shapes', 'seq_len=5']);
      expect(unknown.exitCode).toBe(2);
      expect(unknown.stderr).toContain('Its symbolic dims are: batch_size, sequence_length');
      const malformed = await runBuiltCli(['quantize', modelPath, '--static-shapes', 'batch_size']);
      expect(malformed.exitCode).toBe(2);
    });

    it('--static-shapes output: `gpux build` passes and `gpux run` returns what onnxruntime-node returns (1e-4)', async () => {
      const output = path.join(scratch, 'bert-static');
      const run = await runBuiltCli(['convert', source, '-o', output, '--static-shapes', 'batch_size=1,sequence_length=6', '--quantize', 'int8', '--no-latency', '--json']);
      expect(run.exitCode).toBe(0);
      const result = JSON.parse(run.stdout.trim().split('\n').at(-1) as string) as { report: { staticShapes?: Record<string, number>; validation: Array<{ path: string; status: string; report?: { cases: Array<{ label: string }> } }>; models: Array<{ path: string; inputs: Array<{ shape: unknown[] }> }> } };
      expect(result.report.staticShapes).toEqual({ batch_size: 1, sequence_length: 6 });
      // Every file, the int8 variant too, declares the static inputs, and the export was validated against PyTorch at exactly those sizes.
      for (const model of result.report.models) expect(model.inputs.map((input) => input.shape)).toEqual([[1, 6], [1, 6], [1, 6]]);
      const exportValidation = result.report.validation.find((entry) => entry.path === 'onnx/model.onnx');
      expect(exportValidation?.status).toBe('passed');
      expect(exportValidation?.report?.cases.map((entry) => entry.label)).toEqual(['batch_size=1, sequence_length=6', 'batch_size=1, sequence_length=6']);
      const config = parse(await readFile(path.join(output, 'gpux.yml'), 'utf8')) as GpuxYaml;
      expect(config.inputs.map((input) => input.shape)).toEqual([[1, 6], [1, 6], [1, 6]]);
      expect(config.outputs[0]).toMatchObject({ shape: [1, 3], labels: ['negative', 'neutral', 'positive'] });
      expect(config.metadata.static_shapes).toEqual({ batch_size: 1, sequence_length: 6 });
      expect(config.runtime.batch_size).toBe(1);

      const build = await runProgram(path.join(gpuxBin, 'gpux'), ['build', '.'], { cwd: output });
      expect(build.code).toBe(0);
      const feeds = { input_ids: [[2, 10, 11, 12, 13, 3]], attention_mask: [[1, 1, 1, 1, 1, 1]], token_type_ids: [[0, 0, 0, 0, 0, 0]] };
      const outputFile = path.join(scratch, 'bert-gpux-output.json');
      const gpuxRun = await runProgram(path.join(gpuxBin, 'gpux'), ['run', path.basename(output), '--input', JSON.stringify(feeds), '--output', outputFile], { cwd: output });
      expect(`${gpuxRun.stdout}${gpuxRun.stderr}`).not.toContain('Run failed');
      expect(gpuxRun.code).toBe(0);
      const gpuxLogits = flat((JSON.parse(await readFile(outputFile, 'utf8')) as { logits: unknown }).logits);
      const reference = await onnxRuntimeOutputs(path.join(output, 'onnx', 'model.onnx'), {
        input_ids: { type: 'int64', data: feeds.input_ids.flat(), dims: [1, 6] },
        attention_mask: { type: 'int64', data: feeds.attention_mask.flat(), dims: [1, 6] },
        token_type_ids: { type: 'int64', data: feeds.token_type_ids.flat(), dims: [1, 6] },
      });
      expect(gpuxLogits).toHaveLength(3);
      expect(maxAbsDiff(gpuxLogits, reference.logits as number[])).toBeLessThan(1e-4);
      // A wrong sequence length is refused by GPUX's own input check, which the static dims enable.
      const wrong = await runProgram(path.join(gpuxBin, 'gpux'), ['run', path.basename(output), '--input', JSON.stringify({ input_ids: [[2, 3]], attention_mask: [[1, 1]], token_type_ids: [[0, 0]] })], { cwd: output });
      expect(`${wrong.stdout}${wrong.stderr}`).toMatch(/Run failed|validation failed/i);
    });
  });

  it('a ViT image classifier with --static-shapes batch_size=1: `gpux build` passes and GPUX\'s runtime returns onnxruntime-node\'s logits (1e-4)', async () => {
    const source = path.join(scratch, 'tiny-vit');
    const reference = await makeClientModel<{ logits: number[]; pixel_values: number[][][] }>('vit', source);
    const output = path.join(scratch, 'vit-static');
    const run = await runBuiltCli(['convert', source, '-o', output, '--static-shapes', 'batch_size=1', '--no-latency']);
    expect(run.exitCode).toBe(0);
    const config = parse(await readFile(path.join(output, 'gpux.yml'), 'utf8')) as GpuxYaml;
    expect(config.inputs).toEqual([expect.objectContaining({ name: 'pixel_values', type: 'float32', shape: [1, 3, 32, 32] })]);
    expect(config.outputs[0]).toMatchObject({ shape: [1, 4], labels: ['cat', 'dog', 'bird', 'fish'] });
    const build = await runProgram(path.join(gpuxBin, 'gpux'), ['build', '.'], { cwd: output });
    expect(build.code).toBe(0);
    const inputFile = path.join(scratch, 'vit-input.json');
    const outputFile = path.join(scratch, 'vit-gpux-output.json');
    await writeFile(inputFile, JSON.stringify({ pixel_values: [reference.pixel_values] }));
    const gpuxRun = await runProgram(path.join(gpuxBin, 'python'), [gpuxRuntimeScript, output, inputFile, outputFile]);
    expect(gpuxRun.stderr).not.toMatch(/Traceback/);
    expect(gpuxRun.code).toBe(0);
    const gpuxLogits = flat((JSON.parse(await readFile(outputFile, 'utf8')) as { logits: unknown }).logits);
    const ortLogits = await onnxRuntimeOutputs(path.join(output, 'onnx', 'model.onnx'), { pixel_values: { type: 'float32', data: flat(reference.pixel_values), dims: [1, 3, 32, 32] } });
    expect(gpuxLogits).toHaveLength(4);
    expect(maxAbsDiff(gpuxLogits, ortLogits.logits as number[])).toBeLessThan(1e-4);
    // And both equal PyTorch's logits on the same pixels.
    expect(maxAbsDiff(gpuxLogits, reference.logits)).toBeLessThan(1e-4);
  });
});

describe('a source directory that already holds ONNX', () => {
  let scratch: string;
  beforeAll(async () => {
    scratch = await mkdtemp(path.join(os.tmpdir(), 'gpux-onnx-dir-'));
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('converts a folder with onnx/model.onnx (Optimum / transformers.js layout) and one with model.onnx at the top', async () => {
    const source = path.join(scratch, 'tiny-bert');
    await makeTinyBert(source);
    const exported = path.join(scratch, 'exported');
    expect((await runBuiltCli(['convert', source, '-o', exported, '--quantize', 'fp16', '--no-latency'])).exitCode).toBe(0);
    // The output itself is an Optimum-style folder: configs at the top, onnx/model.onnx and a variant.
    const nested = await runBuiltCli(['convert', exported, '-o', path.join(scratch, 'from-nested'), '--quantize', 'int8', '--no-latency', '--json']);
    expect(nested.stderr).not.toMatch(/None of the adapters/);
    expect(nested.exitCode).toBe(0);
    const nestedResult = JSON.parse(nested.stdout.trim().split('\n').at(-1) as string) as { report: { framework: string; task: string; models: Array<{ path: string; variant: string }>; validation: Array<{ path: string; status: string }> } };
    expect(nestedResult.report.framework).toBe('onnx');
    expect(nestedResult.report.task).toBe('text-classification');
    // model_fp16.onnx is a variant of the source, not a second model to convert.
    expect(nestedResult.report.models.map((model) => `${model.path}:${model.variant}`)).toEqual(['onnx/model.onnx:fp32', 'onnx/model_int8.onnx:quantize-int8']);
    expect(nestedResult.report.validation.find((entry) => entry.path === 'onnx/model_int8.onnx')?.status).toBe('passed');
    expect(existsSync(path.join(scratch, 'from-nested', 'tokenizer.json'))).toBe(true);

    const flatSource = path.join(scratch, 'flat');
    await cp(path.join(exported, 'onnx', 'model.onnx'), path.join(flatSource, 'model.onnx'), { recursive: true });
    await cp(path.join(exported, 'config.json'), path.join(flatSource, 'config.json'));
    const top = await runBuiltCli(['convert', flatSource, '-o', path.join(scratch, 'from-flat'), '--no-latency', '--json']);
    expect(top.exitCode).toBe(0);
    expect((JSON.parse(top.stdout.trim().split('\n').at(-1) as string) as { report: { framework: string } }).report.framework).toBe('onnx');
  });
});
