import { mkdir, mkdtemp, rm } from 'node:fs/promises';
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
  models = await makeTinyModels(path.join(root, 'models'), ['resnet', 'vit', 'whisper', 'wav2vec2', 'torchscript', 'torch-export', 'torchvision']);
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

it('exports Whisper as encoder_model and decoder_model files that match PyTorch', async () => {
  const result = await exportSource('whisper', { path: models.whisper!.path, kind: 'directory' });
  expect(result.task).toBe('automatic-speech-recognition');
  expect(result.files.map((file) => file.name)).toEqual(['encoder_model', 'decoder_model']);
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
  await expectValidated(result, 1e-4);
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
    adapterOptions: { dimSizes: { height: 16, width: 16 } },
  });
  expect(result.exporter).toBe('torch.onnx.export(dynamo=False)');
  expect(result.files[0]?.outputs).toEqual([{ name: 'output', dtype: 'float32', shape: ['batch_size', 5] }]);
  await expectValidated(result, 1e-4);
}, 300_000);

it('exports a torch.export archive (.pt2) with the input spec it carries', async () => {
  const result = await exportSource('torch-export', { path: models['torch-export']!.path, kind: 'file' });
  expect(result.exporter).toBe('torch.onnx.export(dynamo=True)');
  expect(result.files[0]?.inputs).toEqual([{ name: 'images', dtype: 'float32', shape: ['batch_size', 3, 16, 16] }]);
  expect(result.referenceCases.map((entry) => entry.inputs.images?.shape[0])).toEqual([1, 3]);
  await expectValidated(result, 1e-4);
}, 300_000);
