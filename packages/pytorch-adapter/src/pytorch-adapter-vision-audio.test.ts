import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import type { ExportRequest, ExportResult, ModelSource } from '@gpux/converter-core';
import { drainEvents } from '@gpux/converter-core';

import { createPytorchAdapter } from './pytorch-adapter';
import { compareReferenceCases } from './test-support/compare-reference-cases';
import type { TinyModel } from './test-support/tiny-models';
import { makeTinyModels } from './test-support/tiny-models';

const adapter = createPytorchAdapter();
let root: string;
let models: Record<string, TinyModel>;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'gpux-pytorch-vision-'));
  models = await makeTinyModels(path.join(root, 'models'), ['resnet', 'vit', 'whisper', 'wav2vec2', 'wav2vec2-classifier', 'torchscript', 'torch-export', 'torchvision', 'guarded-module']);
}, 300_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function exportSource(name: string, source: ModelSource, extra: Partial<ExportRequest> = {}): Promise<ExportResult> {
  const detection = await adapter.detect(source);
  if (detection === undefined) throw new Error(`${source.path} was not detected`);
  const outputDirectory = path.join(root, 'out', name);
  const workDirectory = path.join(root, 'work', name);
  await mkdir(outputDirectory, { recursive: true });
  await mkdir(workDirectory, { recursive: true });
  return drainEvents(adapter.export({ source, detection, outputDirectory, workDirectory, ...extra }));
}

/** Validates every reference case in onnxruntime-node and returns the largest difference seen. */
async function expectValidated(result: ExportResult, tolerance: number): Promise<number> {
  const differences = await compareReferenceCases(result);
  expect(differences).toHaveLength(2 * result.files.length);
  let largest = 0;
  for (const difference of differences) {
    for (const value of Object.values(difference.maxAbsDiff)) {
      expect(value).toBeLessThan(tolerance);
      largest = Math.max(largest, value);
    }
    for (const agreement of Object.values(difference.argmaxAgreement)) expect(agreement).toBe(1);
  }
  return largest;
}

it('exports transformers ResNet with dynamic height/width and matches PyTorch at 32px and 64px', async () => {
  const result = await exportSource('resnet', { path: models.resnet!.path, kind: 'directory' });
  expect(result.task).toBe('image-classification');
  expect(result.files[0]?.inputs).toEqual([{ name: 'pixel_values', dtype: 'float32', shape: ['batch_size', 3, 'height', 'width'] }]);
  expect(result.files[0]?.outputs).toEqual([{ name: 'logits', dtype: 'float32', shape: ['batch_size', 4] }]);
  expect(result.referenceCases.map((entry) => entry.inputs.pixel_values?.shape)).toEqual([[1, 3, 32, 32], [2, 3, 64, 64]]);
  expect(result.modelConfig).toMatchObject({ model_type: 'resnet', image_size: 32, num_channels: 3 });
  await expectValidated(result, 1e-4);
}, 300_000);

it('exports ViT with its fixed image size and a dynamic batch', async () => {
  const result = await exportSource('vit', { path: models.vit!.path, kind: 'directory' });
  expect(result.files[0]?.inputs[0]?.shape).toEqual(['batch_size', 3, 32, 32]);
  expect(result.referenceCases.map((entry) => entry.inputs.pixel_values?.shape[0])).toEqual([1, 2]);
  await expectValidated(result, 1e-4);
}, 300_000);

it('exports Whisper as encoder_model, decoder_model and decoder_with_past_model files that match PyTorch', async () => {
  const result = await exportSource('whisper', { path: models.whisper!.path, kind: 'directory' });
  expect(result.task).toBe('automatic-speech-recognition');
  expect(result.files.map((file) => file.name)).toEqual(['encoder_model', 'decoder_model', 'decoder_with_past_model']);
  // One decoder layer: its self-attention and cross-attention caches, as Optimum names them.
  expect(result.files[2]?.inputs.map((input) => input.name)).toEqual(['input_ids', 'past_key_values.0.decoder.key', 'past_key_values.0.decoder.value', 'past_key_values.0.encoder.key', 'past_key_values.0.encoder.value']);
  expect(result.files[0]?.inputs[0]).toEqual({ name: 'input_features', dtype: 'float32', shape: ['batch_size', 16, 32] });
  expect(result.files[1]?.inputs.map((input) => input.name)).toEqual(['input_ids', 'encoder_hidden_states']);
  expect(result.files[1]?.outputs[0]?.shape).toEqual(['batch_size', 'decoder_sequence_length', 96]);
  expect(result.modelConfig).toMatchObject({ num_mel_bins: 16, sampling_rate: 16000 });
  await expectValidated(result, 1e-4);
}, 300_000);

it('exports Wav2Vec2 CTC with a dynamic audio length', async () => {
  const result = await exportSource('wav2vec2', { path: models.wav2vec2!.path, kind: 'directory' });
  expect(result.task).toBe('automatic-speech-recognition');
  expect(result.files[0]?.inputs[0]).toEqual({ name: 'input_values', dtype: 'float32', shape: ['batch_size', 'sequence_length'] });
  expect(result.referenceCases.map((entry) => entry.inputs.input_values?.shape)).toEqual([[1, 1600], [2, 2720]]);
  // One logits row per audio frame, under a short name instead of the conv-length formula.
  expect(result.files[0]?.outputs[0]).toEqual({ name: 'logits', dtype: 'float32', shape: ['batch_size', 'num_frames', 20] });
  expect(result.referenceCases.map((entry) => entry.outputs.logits?.shape)).toEqual([[1, 79, 20], [2, 135, 20]]);
  await expectValidated(result, 1e-4);
}, 300_000);

it('exports Wav2Vec2ForSequenceClassification as audio-classification', async () => {
  const source = { path: models['wav2vec2-classifier']!.path, kind: 'directory' as const };
  expect((await adapter.detect(source))?.task).toBe('audio-classification');
  const result = await exportSource('wav2vec2-classifier', source);
  expect(result.task).toBe('audio-classification');
  expect(result.architecture).toBe('Wav2Vec2ForSequenceClassification');
  expect(result.files[0]?.inputs).toEqual([{ name: 'input_values', dtype: 'float32', shape: ['batch_size', 'sequence_length'] }]);
  expect(result.files[0]?.outputs).toEqual([{ name: 'logits', dtype: 'float32', shape: ['batch_size', 4] }]);
  expect(result.modelConfig).toMatchObject({ model_type: 'wav2vec2', sampling_rate: 16000 });
  await expectValidated(result, 1e-4);
}, 300_000);

it('falls back to the TorchScript exporter when torch.export cannot guard on a data-dependent branch, and says why', async () => {
  const spec = models['guarded-module']!;
  const result = await exportSource('guarded-module', { path: path.join(spec.path, spec.module!), kind: 'file' }, {
    inputSpec: [{ name: 'features', dtype: 'float32', shape: ['batch_size', 'sequence_length', 6] }],
    adapterOptions: { allowPythonModule: true, outputNames: ['scores'] },
  });
  expect(result.exporter).toBe('torch.onnx.export(dynamo=False)');
  expect(result.notes.join('\n')).toContain('the dynamo exporter (torch.export) failed with torch.fx.experimental.symbolic_shapes.GuardOnDataDependentSymNode: Could not guard on data-dependent expression');
  expect(result.notes.join('\n')).toContain('the TorchScript exporter (torch.onnx.export(dynamo=False)) ran instead');
  expect(result.files[0]?.outputs).toEqual([{ name: 'scores', dtype: 'float32', shape: ['batch_size', 'sequence_length', 3] }]);
  // The traced graph (the no-NaN branch) has dynamic batch and sequence: both cases match PyTorch.
  expect(new Set(result.referenceCases.map((entry) => JSON.stringify(entry.inputs.features?.shape))).size).toBe(2);
  await expectValidated(result, 1e-5);
}, 300_000);

it('exports torchvision resnet50 (random weights) from a module:function spec', async () => {
  const spec = models.torchvision!;
  const result = await exportSource('torchvision', { path: path.join(spec.path, spec.module!), kind: 'file' }, {
    inputSpec: [{ name: 'pixel_values', dtype: 'float32', shape: ['batch_size', 3, 'height', 'width'] }],
    adapterOptions: { allowPythonModule: true, dimSizes: { height: 64, width: 64 }, outputNames: ['logits'] },
  });
  expect(result.architecture).toBe('ResNet');
  expect(result.files[0]?.outputs).toEqual([{ name: 'logits', dtype: 'float32', shape: ['batch_size', 10] }]);
  expect(result.referenceCases.map((entry) => entry.inputs.pixel_values?.shape)).toEqual([[1, 3, 64, 64], [3, 3, 72, 72]]);
  await expectValidated(result, 1e-3);
}, 300_000);

it('exports a TorchScript file with the TorchScript exporter', async () => {
  const result = await exportSource('torchscript', { path: models.torchscript!.path, kind: 'file' }, {
    inputSpec: [{ name: 'images', dtype: 'float32', shape: ['batch_size', 3, 'height', 'width'] }],
    // The TorchScript exporter writes inline weights; the adapter moves them to external data.
    adapterOptions: { dimSizes: { height: 16, width: 16 }, externalDataThresholdBytes: 512 },
  });
  expect(result.exporter).toBe('torch.onnx.export(dynamo=False)');
  expect(result.files[0]?.outputs).toEqual([{ name: 'output', dtype: 'float32', shape: ['batch_size', 5] }]);
  expect((await readdir(path.dirname(result.files[0]!.path))).sort()).toEqual(['model.onnx', 'model.onnx.data']);
  // The 3x3 conv's 8 * 3 * 3 * 3 float32 weights are in the data file.
  expect((await stat(path.join(path.dirname(result.files[0]!.path), 'model.onnx.data'))).size).toBeGreaterThanOrEqual(864);
  await expectValidated(result, 1e-4);
}, 300_000);

it('exports a torch.export archive (.pt2) with the input spec it carries', async () => {
  const result = await exportSource('torch-export', { path: models['torch-export']!.path, kind: 'file' });
  expect(result.exporter).toBe('torch.onnx.export(dynamo=True)');
  expect(result.files[0]?.inputs).toEqual([{ name: 'images', dtype: 'float32', shape: ['batch_size', 3, 16, 16] }]);
  expect(result.referenceCases.map((entry) => entry.inputs.images?.shape[0])).toEqual([1, 3]);
  await expectValidated(result, 1e-4);
}, 300_000);
