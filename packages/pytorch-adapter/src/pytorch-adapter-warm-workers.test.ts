import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import type { ExportResult, ModelSource } from '@gpux/converter-core';
import { ConversionError, drainEvents, PythonWorkerPool } from '@gpux/converter-core';

import { createPytorchAdapter } from './pytorch-adapter';
import { compareReferenceCases } from './test-support/compare-reference-cases';
import type { TinyModel } from './test-support/tiny-models';
import { makeTinyModels } from './test-support/tiny-models';

const adapter = createPytorchAdapter();
let root: string;
let models: Record<string, TinyModel>;
let pool: PythonWorkerPool;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'gpux-pytorch-warm-'));
  models = await makeTinyModels(path.join(root, 'models'), ['bert', 'distilbert', 'torch-export']);
}, 300_000);

afterEach(async () => {
  await pool?.close();
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function exportOnPool(name: string, source: ModelSource): Promise<ExportResult> {
  const detection = await adapter.detect(source);
  if (detection === undefined) throw new Error(`${source.path} was not detected`);
  const outputDirectory = path.join(root, 'out', name);
  const workDirectory = path.join(root, 'work', name);
  await mkdir(outputDirectory, { recursive: true });
  await mkdir(workDirectory, { recursive: true });
  return drainEvents(adapter.export({ source, detection, outputDirectory, workDirectory, pythonWorkers: pool }));
}

it('exports different models and formats one after another on one warm worker, each validated against PyTorch', async () => {
  pool = new PythonWorkerPool();
  const results = [
    await exportOnPool('bert', { path: models.bert!.path, kind: 'directory' }),
    await exportOnPool('distilbert', { path: models.distilbert!.path, kind: 'directory' }),
    await exportOnPool('torch-export', { path: models['torch-export']!.path, kind: 'file' }),
  ];
  expect(results.map((result) => result.files.map((file) => file.name))).toEqual([['model'], ['model'], ['model']]);
  expect(results.map((result) => result.exporter)).toEqual([expect.stringContaining('torch.onnx.export'), expect.stringContaining('torch.onnx.export'), expect.any(String)]);
  for (const result of results) {
    for (const difference of await compareReferenceCases(result)) {
      for (const value of Object.values(difference.maxAbsDiff)) expect(value).toBeLessThan(1e-4);
    }
    expect(result.peakRssBytes).toBeGreaterThan(50 * 1024 * 1024);
  }
  // One process served all three: the later two reused its imports.
  expect(pool.stats()).toMatchObject({ started: 1, requests: 3, warmRequests: 2, lost: 0 });
}, 600_000);

it('fails one request with the script\'s code and serves the next on the same worker', async () => {
  pool = new PythonWorkerPool();
  const empty = path.join(root, 'empty-model');
  await mkdir(empty, { recursive: true });
  const outputDirectory = path.join(root, 'out', 'empty');
  await mkdir(outputDirectory, { recursive: true });
  const failure = await drainEvents(
    adapter.export({
      source: { path: empty, kind: 'directory' },
      detection: { framework: 'pytorch', format: 'hf-transformers', reason: 'test' },
      outputDirectory,
      workDirectory: path.join(root, 'work', 'empty'),
      pythonWorkers: pool,
    }),
  ).then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(ConversionError.isInstance(failure) && failure.code).toBe('UNSUPPORTED_ARCHITECTURE');
  expect(await readdir(outputDirectory)).toEqual([]);
  const result = await exportOnPool('bert-after-failure', { path: models.bert!.path, kind: 'directory' });
  expect(result.files.map((file) => file.name)).toEqual(['model']);
  expect(pool.stats()).toMatchObject({ started: 1, requests: 2, lost: 0 });
}, 600_000);
