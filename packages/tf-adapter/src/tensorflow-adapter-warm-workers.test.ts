import path from 'node:path';

import { PythonWorkerPool } from '@gpux/converter-core';

import { compareReferenceCases } from './test-support/compare-reference-cases';
import { buildFixtures, exportSource, makeTemporaryDirectory, tensorflowPython } from './test-support/tensorflow-fixtures';

let root = '';
let cleanup: () => Promise<void> = async () => {};
let pool: PythonWorkerPool | undefined;

beforeAll(async () => {
  ({ directory: root, cleanup } = await makeTemporaryDirectory('gpux-tf-warm-'));
  await buildFixtures(await tensorflowPython(), root, ['gru', 'transformer']);
}, 600_000);

afterAll(async () => {
  await pool?.close();
  await cleanup();
});

it('exports Keras models one after another on one warm TensorFlow worker, each as a fresh process would', async () => {
  pool = new PythonWorkerPool();
  const runs = [
    await exportSource(path.join(root, 'gru.keras'), root, {}, { pythonWorkers: pool, name: 'gru-first' }),
    await exportSource(path.join(root, 'transformer.keras'), root, {}, { pythonWorkers: pool }),
    await exportSource(path.join(root, 'gru.keras'), root, {}, { pythonWorkers: pool, name: 'gru-again' }),
  ];
  for (const { result } of runs) {
    const file = result.files[0]!;
    for (const difference of await compareReferenceCases(file.path, result.referenceCases)) expect(difference.maxAbsDiff).toBeLessThan(1e-4);
  }
  // The Keras session is cleared between requests: the same model gets the same interface again.
  expect(runs[2]!.result.files[0]!.inputs).toEqual(runs[0]!.result.files[0]!.inputs);
  expect(runs[2]!.result.files[0]!.outputs).toEqual(runs[0]!.result.files[0]!.outputs);
  expect(runs[2]!.result.architecture).toBe(runs[0]!.result.architecture);
  expect(pool.stats()).toMatchObject({ started: 1, requests: 3, warmRequests: 2, lost: 0 });
}, 600_000);
