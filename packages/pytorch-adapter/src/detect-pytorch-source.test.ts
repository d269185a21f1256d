import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { detectPytorchSource } from './detect-pytorch-source';
import { readZipEntryNames } from './read-zip-entry-names';
import { taskFromArchitecture } from './task-from-architecture';
import type { TinyModel } from './test-support/tiny-models';
import { makeTinyModels } from './test-support/tiny-models';

let root: string;
let models: Record<string, TinyModel>;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'gpux-pytorch-detect-'));
  models = await makeTinyModels(path.join(root, 'models'), ['torchscript', 'torch-export', 'state-dict']);
}, 300_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function directoryWith(name: string, files: Record<string, string>): Promise<string> {
  const directory = path.join(root, name);
  await mkdir(directory, { recursive: true });
  for (const [file, content] of Object.entries(files)) await writeFile(path.join(directory, file), content);
  return directory;
}

it('recognises a transformers directory and reads architecture, model type and task from config.json', async () => {
  const directory = await directoryWith('bert', {
    'config.json': JSON.stringify({ model_type: 'bert', architectures: ['BertForTokenClassification'] }),
    'model.safetensors': '',
  });
  await expect(detectPytorchSource({ path: directory, kind: 'directory' })).resolves.toEqual({
    framework: 'pytorch',
    format: 'hf-transformers',
    architecture: 'BertForTokenClassification',
    modelType: 'bert',
    task: 'token-classification',
    reason: 'config.json (bert) with PyTorch weights (model.safetensors)',
  });
});

it('mentions custom code and accepts pytorch_model.bin weights', async () => {
  const directory = await directoryWith('custom', {
    'config.json': JSON.stringify({ model_type: 'mine', auto_map: { AutoModel: 'modeling_mine.MineModel' } }),
    'pytorch_model.bin': '',
  });
  const detection = await detectPytorchSource({ path: directory, kind: 'directory' });
  expect(detection?.format).toBe('hf-transformers');
  expect(detection?.task).toBeUndefined();
  expect(detection?.reason).toContain('trustRemoteCode');
});

it('reads sharded safetensors and audio classifiers from config.json', async () => {
  const directory = await directoryWith('sharded-audio', {
    'config.json': JSON.stringify({ model_type: 'wav2vec2', architectures: ['Wav2Vec2ForSequenceClassification'] }),
    'model.safetensors.index.json': '{"weight_map":{}}',
    'model-00001-of-00002.safetensors': '',
  });
  await expect(detectPytorchSource({ path: directory, kind: 'directory' })).resolves.toMatchObject({
    task: 'audio-classification',
    reason: 'config.json (wav2vec2) with PyTorch weights (model.safetensors.index.json)',
  });
  expect(taskFromArchitecture('BertForSequenceClassification', 'bert')).toBe('text-classification');
});

it('leaves TensorFlow-only and config-less directories alone', async () => {
  const tensorflow = await directoryWith('tf-only', { 'config.json': '{"model_type":"bert"}', 'tf_model.h5': '' });
  const weightsOnly = await directoryWith('no-config', { 'model.safetensors': '' });
  await expect(detectPytorchSource({ path: tensorflow, kind: 'directory' })).resolves.toBeUndefined();
  await expect(detectPytorchSource({ path: weightsOnly, kind: 'directory' })).resolves.toBeUndefined();
});

it('tells TorchScript archives from plain pickled state dicts by their zip entries', async () => {
  const scripted = models.torchscript!.path;
  expect((await readZipEntryNames(scripted))?.some((name) => name.endsWith('/constants.pkl'))).toBe(true);
  await expect(detectPytorchSource({ path: scripted, kind: 'file' })).resolves.toMatchObject({ format: 'torchscript' });

  const stateDict = models['state-dict']!.path;
  expect(await readZipEntryNames(stateDict)).toEqual(expect.arrayContaining(['weights/data.pkl']));
  await expect(detectPytorchSource({ path: stateDict, kind: 'file' })).resolves.toBeUndefined();

  const garbage = path.join(root, 'garbage.pt');
  await writeFile(garbage, 'not a zip archive at all, just text');
  expect(await readZipEntryNames(garbage)).toBeUndefined();
  await expect(detectPytorchSource({ path: garbage, kind: 'file' })).resolves.toBeUndefined();
});

it('recognises .pt2 archives and module:function specs', async () => {
  await expect(detectPytorchSource({ path: models['torch-export']!.path, kind: 'file' })).resolves.toMatchObject({ format: 'torch-export' });
  await expect(detectPytorchSource({ path: path.join(root, 'my_models:build'), kind: 'file' })).resolves.toMatchObject({
    format: 'python-module',
    reason: 'my_models:build names a Python function that builds an nn.Module',
  });
  await expect(detectPytorchSource({ path: path.join(root, 'missing.onnx'), kind: 'file' })).resolves.toBeUndefined();
});

it('throws a TypeError naming source.path when it is empty', async () => {
  await expect(detectPytorchSource({ path: '', kind: 'file' })).rejects.toThrow('source.path must be a non-empty string, received ""');
});
