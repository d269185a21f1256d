import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import type { DetectionResult, ExportRequest } from '@gpux/converter-core';
import { ConversionError, drainEvents } from '@gpux/converter-core';

import { createPytorchAdapter } from './pytorch-adapter';
import type { TinyModel } from './test-support/tiny-models';
import { makeTinyModels } from './test-support/tiny-models';

const adapter = createPytorchAdapter();
const huggingFace: DetectionResult = { framework: 'pytorch', format: 'hf-transformers', reason: 'test' };
let root: string;
let models: Record<string, TinyModel>;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'gpux-pytorch-errors-'));
  models = await makeTinyModels(path.join(root, 'models'), ['bert', 'torchvision', 'pickle-payload']);
}, 300_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function copyOfBert(name: string, editConfig?: (config: Record<string, unknown>) => void): Promise<string> {
  const directory = path.join(root, name);
  await mkdir(directory, { recursive: true });
  for (const file of await readdir(models.bert!.path)) await copyFile(path.join(models.bert!.path, file), path.join(directory, file));
  if (editConfig !== undefined) {
    const config = JSON.parse(await readFile(path.join(directory, 'config.json'), 'utf8')) as Record<string, unknown>;
    editConfig(config);
    await writeFile(path.join(directory, 'config.json'), JSON.stringify(config));
  }
  return directory;
}

async function exportError(name: string, sourcePath: string, extra: Partial<ExportRequest> = {}): Promise<ConversionError> {
  const outputDirectory = path.join(root, 'out', name);
  const workDirectory = path.join(root, 'work', name);
  await mkdir(outputDirectory, { recursive: true });
  await mkdir(workDirectory, { recursive: true });
  try {
    await drainEvents(adapter.export({ source: { path: sourcePath, kind: 'directory' }, detection: huggingFace, outputDirectory, workDirectory, ...extra }));
  } catch (error) {
    if (ConversionError.isInstance(error)) {
      expect(await readdir(outputDirectory)).toEqual([]);
      return error;
    }
    throw error;
  }
  throw new Error('export succeeded');
}

it('refuses a directory without config.json with UNSUPPORTED_ARCHITECTURE and says how to pass an input spec', async () => {
  const directory = await copyOfBert('no-config');
  await rm(path.join(directory, 'config.json'));
  const error = await exportError('no-config', directory);
  expect(error.code).toBe('UNSUPPORTED_ARCHITECTURE');
  expect(error.message).toContain('inputSpec');
  expect(error.message).toContain('fill-mask');
}, 120_000);

it('refuses an unknown model type and a task the architecture cannot do, listing the tasks it can', async () => {
  const unknown = await exportError('unknown', await copyOfBert('unknown', (config) => (config.model_type = 'gpux-imaginary')));
  expect(unknown.code).toBe('UNSUPPORTED_ARCHITECTURE');
  expect(unknown.message).toContain('gpux-imaginary');

  const wrongTask = await exportError('wrong-task', models.bert!.path, { task: 'image-classification' });
  expect(wrongTask.code).toBe('UNSUPPORTED_ARCHITECTURE');
  expect(wrongTask.details.supportedTasks).toEqual(
    expect.arrayContaining(['feature-extraction', 'fill-mask', 'text-classification', 'question-answering']),
  );
  expect(wrongTask.details.supportedTasks).not.toContain('image-classification');
}, 120_000);

it('refuses custom model code unless trustRemoteCode is set', async () => {
  const directory = await copyOfBert('custom', (config) => (config.auto_map = { AutoModel: 'modeling_custom.CustomModel' }));
  const error = await exportError('custom', directory);
  expect(error.code).toBe('TRUST_REMOTE_CODE_REQUIRED');
  expect(error.details.autoMap).toEqual({ AutoModel: 'modeling_custom.CustomModel' });
}, 120_000);

it('refuses to import a module:function spec without allowPythonModule', async () => {
  const spec = models.torchvision!;
  const error = await exportError('module', path.join(spec.path, spec.module!), {
    detection: { framework: 'pytorch', format: 'python-module', reason: 'test' },
    inputSpec: [{ name: 'pixel_values', dtype: 'float32', shape: ['batch_size', 3, 64, 64] }],
  });
  expect(error.code).toBe('TRUST_REMOTE_CODE_REQUIRED');
  expect(error.message).toContain('tiny_vision_models:resnet50');
}, 120_000);

it('reports truncated safetensors weights as INVALID_MODEL_FILE', async () => {
  const directory = await copyOfBert('truncated');
  await truncate(path.join(directory, 'model.safetensors'), 1000);
  const error = await exportError('truncated', directory);
  expect(error.code).toBe('INVALID_MODEL_FILE');
  expect(error.message).toContain('truncated');
}, 120_000);

it('refuses a pytorch_model.bin that pickles a non-tensor object, without unpickling it', async () => {
  const payload = models['pickle-payload']!;
  const error = await exportError('pickle-payload', payload.path);
  expect(error.code).toBe('INVALID_MODEL_FILE');
  expect(error.details.global).toMatch(/^(io|builtins)\.open$/);
  expect(error.message).toContain('not a tensor');
  // Unpickling the payload would have created this file.
  expect(existsSync(payload.marker!)).toBe(false);
}, 120_000);

it('rejects bad arguments before starting Python', async () => {
  const request = { source: { path: models.bert!.path, kind: 'directory' as const }, detection: huggingFace, outputDirectory: 'relative', workDirectory: root };
  await expect(drainEvents(adapter.export(request))).rejects.toThrow('request.outputDirectory must be an absolute path, received "relative"');
  await expect(drainEvents(adapter.export({ ...request, outputDirectory: root, adapterOptions: { exporter: 'onnx' } }))).rejects.toThrow(RangeError);
  await expect(drainEvents(adapter.export({ ...request, outputDirectory: root, adapterOptions: { externalDataThresholdBytes: 0 } }))).rejects.toThrow(
    'adapterOptions.externalDataThresholdBytes must be a positive integer, received 0',
  );
  expect(() => createPytorchAdapter({ exporter: 'fast' as never })).toThrow('options.exporter must be one of auto, dynamo, torchscript, received "fast"');
});

it('names an operator neither exporter can convert with UNSUPPORTED_OPERATOR', async () => {
  const moduleDirectory = path.join(root, 'odd-ops');
  await mkdir(moduleDirectory, { recursive: true });
  await writeFile(
    path.join(moduleDirectory, 'odd_ops.py'),
    'import torch\n\nclass Eigh(torch.nn.Module):\n    def forward(self, x):\n        return torch.linalg.eigh(x @ x.transpose(-1, -2)).eigenvalues\n\ndef build():\n    return Eigh()\n',
  );
  const error = await exportError('odd-ops', path.join(moduleDirectory, 'odd_ops:build'), {
    detection: { framework: 'pytorch', format: 'python-module', reason: 'test' },
    inputSpec: [{ name: 'x', dtype: 'float32', shape: ['batch_size', 4, 4] }],
    adapterOptions: { allowPythonModule: true },
  });
  expect(error.code).toBe('UNSUPPORTED_OPERATOR');
  expect(error.details.operator).toBe('aten._linalg_eigh');
  expect(error.message).toContain('at opset 18');
}, 300_000);
