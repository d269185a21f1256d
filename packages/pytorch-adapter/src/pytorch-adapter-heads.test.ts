/**
 * Task heads are exported with their real outputs or refused with UNSUPPORTED_ARCHITECTURE, never
 * replaced by the backbone: a walk over every Auto mapping of the installed transformers, and real
 * exports of tiny multiple-choice, segmentation and detection heads validated against PyTorch.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import type { ExportRequest, ExportResult } from '@gpux/converter-core';
import { ConversionError, drainEvents } from '@gpux/converter-core';

import { createPytorchAdapter } from './pytorch-adapter';
import { compareReferenceCases } from './test-support/compare-reference-cases';
import type { TinyModel } from './test-support/tiny-models';
import { makeTinyModels, pytorchPython } from './test-support/tiny-models';

const execFileAsync = promisify(execFile);
const adapter = createPytorchAdapter();
let root: string;
let models: Record<string, TinyModel>;

interface HeadWalk {
  transformers: string;
  autoClasses: Record<string, number>;
  entries: number;
  exported: Record<string, string[]>;
  refused: number;
  violations: string[];
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'gpux-pytorch-heads-'));
  models = await makeTinyModels(path.join(root, 'models'), ['bert-multiple-choice', 'segformer', 'yolos', 'detr', 'bart', 'gpt2-double-heads', 'bert-pretraining']);
}, 300_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function request(name: string, extra: Partial<ExportRequest> = {}): ExportRequest {
  const directory = models[name]!.path;
  return {
    source: { path: directory, kind: 'directory' },
    detection: { framework: 'pytorch', format: 'hf-transformers', reason: 'test' },
    outputDirectory: path.join(root, 'out', name + (extra.task ?? '')),
    workDirectory: path.join(root, 'work', name + (extra.task ?? '')),
    ...extra,
  };
}

async function exportModel(name: string, extra: Partial<ExportRequest> = {}): Promise<ExportResult> {
  const exportRequest = request(name, extra);
  await mkdir(exportRequest.outputDirectory, { recursive: true });
  await mkdir(exportRequest.workDirectory, { recursive: true });
  return drainEvents(adapter.export(exportRequest));
}

async function exportError(name: string): Promise<ConversionError> {
  const exportRequest = request(name);
  try {
    await exportModel(name);
  } catch (error) {
    if (ConversionError.isInstance(error)) {
      expect(await readdir(exportRequest.outputDirectory)).toEqual([]);
      return error;
    }
    throw error;
  }
  throw new Error(`${name} was exported`);
}

/** Validates every reference case in onnxruntime-node; every output within `tolerance` of PyTorch's. */
async function expectValidated(result: ExportResult, tolerance: number): Promise<void> {
  const differences = await compareReferenceCases(result);
  expect(differences).toHaveLength(2);
  for (const difference of differences) {
    expect(Object.keys(difference.maxAbsDiff).sort()).toEqual(result.files[0]!.outputs.map((output) => output.name).sort());
    for (const value of Object.values(difference.maxAbsDiff)) expect(value).toBeLessThan(tolerance);
  }
}

it('walks every Auto mapping of transformers: each listed head is exported as that class or refused with UNSUPPORTED_ARCHITECTURE', async () => {
  const script = path.join(__dirname, 'test-fixtures', 'walk_auto_heads.py');
  const { stdout } = await execFileAsync(await pytorchPython(), [script], { maxBuffer: 64 * 1024 * 1024 });
  const walk = JSON.parse(stdout) as HeadWalk;
  expect(walk.violations).toEqual([]);
  const forMappings = Object.keys(walk.autoClasses).filter((name) => name.includes('For'));
  expect(forMappings.length).toBeGreaterThan(30);
  expect(forMappings).toEqual(expect.arrayContaining(['AutoModelForMultipleChoice', 'AutoModelForSemanticSegmentation', 'AutoModelForObjectDetection', 'AutoModelForSeq2SeqLM']));
  const exported = Object.values(walk.exported).reduce((total, names) => total + names.length, 0);
  expect(exported + walk.refused).toBe(walk.entries);
  // A mapping entry whose value is a tuple of classes (DeiT with and without teacher) counts once per class.
  expect(walk.entries).toBeGreaterThanOrEqual(Object.values(walk.autoClasses).reduce((total, count) => total + count, 0));
  expect(walk.exported['multiple-choice']).toContain('BertForMultipleChoice');
  expect(walk.exported['semantic-segmentation']).toContain('SegformerForSemanticSegmentation');
  expect(walk.exported['object-detection']).toEqual(expect.arrayContaining(['DetrForObjectDetection', 'YolosForObjectDetection']));
  expect(walk.exported['feature-extraction']).toContain('BertModel');
  // Encoder-decoder text heads are exported whole (encoder_model + decoder_model + decoder_with_past_model).
  expect(walk.exported['text2text-generation']).toEqual(expect.arrayContaining(['BartForConditionalGeneration', 'T5ForConditionalGeneration', 'MarianMTModel']));
  // AutoModelForSeq2SeqLM also lists audio LMs whose config is no encoder-decoder: their text path alone would drop the audio.
  for (const head of ['AudioFlamingo3ForConditionalGeneration', 'BertForPreTraining']) {
    expect(Object.values(walk.exported).flat()).not.toContain(head);
  }
  expect(walk.refused).toBeGreaterThan(100);
}, 300_000);

it('exports BertForMultipleChoice with [batch, num_choices, sequence] inputs and [batch, num_choices] logits', async () => {
  const result = await exportModel('bert-multiple-choice');
  expect(result.task).toBe('multiple-choice');
  expect(result.architecture).toBe('BertForMultipleChoice');
  expect(result.files[0]?.inputs.map((input) => input.shape)).toEqual([0, 1, 2].map(() => ['batch_size', 'num_choices', 'sequence_length']));
  expect(result.files[0]?.outputs).toEqual([{ name: 'logits', dtype: 'float32', shape: ['batch_size', 'num_choices'] }]);
  expect(result.referenceCases.map((entry) => entry.inputs.input_ids?.shape)).toEqual([[1, 2, 7], [3, 4, 16]]);
  expect(result.referenceCases.map((entry) => entry.outputs.logits?.shape)).toEqual([[1, 2], [3, 4]]);
  await expectValidated(result, 1e-4);
}, 300_000);

it('exports SegformerForSemanticSegmentation with per-pixel class logits at two image sizes', async () => {
  const result = await exportModel('segformer');
  expect(result.task).toBe('semantic-segmentation');
  expect(result.architecture).toBe('SegformerForSemanticSegmentation');
  expect(result.files[0]?.outputs.map((output) => output.name)).toEqual(['logits']);
  // 3 labels at a quarter of the input size.
  expect(result.referenceCases.map((entry) => entry.outputs.logits?.shape)).toEqual([[1, 3, 8, 8], [2, 3, 16, 16]]);
  await expectValidated(result, 1e-4);
}, 300_000);

it.each([
  ['yolos', 'YolosForObjectDetection'],
  ['detr', 'DetrForObjectDetection'],
])('exports %s object detection with logits and pred_boxes per query', async (name, architecture) => {
  const result = await exportModel(name);
  expect(result.task).toBe('object-detection');
  expect(result.architecture).toBe(architecture);
  // 5 queries; 3 labels plus "no object"; boxes as (center x, center y, width, height).
  expect(result.files[0]?.outputs).toEqual([
    { name: 'logits', dtype: 'float32', shape: ['batch_size', 5, 4] },
    { name: 'pred_boxes', dtype: 'float32', shape: ['batch_size', 5, 4] },
  ]);
  expect(result.referenceCases.map((entry) => entry.outputs.pred_boxes?.shape[0])).toEqual([1, 2]);
  await expectValidated(result, 1e-4);
}, 300_000);

it('refuses BertForPreTraining (a pre-training head) with UNSUPPORTED_ARCHITECTURE naming the head and the fix', async () => {
  const error = await exportError('bert-pretraining');
  expect(error.code).toBe('UNSUPPORTED_ARCHITECTURE');
  expect(error.message).toContain('pre-training head BertForPreTraining');
  expect(error.message).toContain('--task feature-extraction');
  expect(error.details).toMatchObject({ architecture: 'BertForPreTraining', head: 'pre-training', fix: '--task feature-extraction' });
}, 300_000);

it('exports the backbone of a refused head when feature-extraction is asked for on purpose', async () => {
  const result = await exportModel('bart', { task: 'feature-extraction' });
  expect(result.task).toBe('feature-extraction');
  expect(result.architecture).toBe('BartModel');
  expect(result.files[0]?.outputs.map((output) => output.name)).toEqual(['last_hidden_state']);
  await expectValidated(result, 1e-4);
}, 300_000);

it('refuses GPT2DoubleHeadsModel, which no Auto class builds, instead of exporting GPT2Model in its place', async () => {
  const error = await exportError('gpt2-double-heads');
  expect(error.code).toBe('UNSUPPORTED_ARCHITECTURE');
  expect(error.message).toContain('GPT2DoubleHeadsModel');
  expect(error.message).toContain('built GPT2Model');
  expect(error.message).toContain('--task feature-extraction');
}, 300_000);
