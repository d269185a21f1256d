import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import type { DetectionResult } from '@gpux/converter-core';
import { ConversionError, drainEvents } from '@gpux/converter-core';

import { createTensorflowAdapter } from './tensorflow-adapter';
import { buildFixtures, exportSource, makeTemporaryDirectory, tensorflowPython } from './test-support/tensorflow-fixtures';

let root = '';
let cleanup: () => Promise<void> = async () => {};

beforeAll(async () => {
  ({ directory: root, cleanup } = await makeTemporaryDirectory('gpux-tf-bad-'));
  await buildFixtures(await tensorflowPython(), root, ['legacy_h5', 'custom_layer']);
}, 600_000);

afterAll(async () => {
  await cleanup();
});

async function failureOf(promise: Promise<unknown>): Promise<ConversionError> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!ConversionError.isInstance(outcome)) throw new Error(`expected a ConversionError, got ${String(outcome)}`);
  return outcome;
}

describe('bad TensorFlow inputs', () => {
  it('refuses a directory that is not a SavedModel, saying what it found', async () => {
    const directory = path.join(root, 'not-a-savedmodel');
    await mkdir(directory);
    await writeFile(path.join(directory, 'notes.txt'), 'hello');
    const adapter = createTensorflowAdapter();
    expect(await adapter.detect({ path: directory, kind: 'directory' })).toBeUndefined();
    const detection: DetectionResult = { framework: 'tensorflow', format: 'tf-savedmodel', reason: 'forced by the test' };
    const error = await failureOf(
      drainEvents(
        adapter.export({ source: { path: directory, kind: 'directory' }, detection, outputDirectory: path.join(root, 'o1'), workDirectory: path.join(root, 'w1') }),
      ),
    );
    expect(error.code).toBe('INVALID_MODEL_FILE');
    expect(error.message).toContain('no saved_model.pb');
    expect(error.message).toContain('notes.txt');
  });

  it('refuses a truncated .h5 file', async () => {
    const whole = await readFile(path.join(root, 'legacy.h5'));
    const truncated = path.join(root, 'truncated.h5');
    await writeFile(truncated, whole.subarray(0, Math.floor(whole.length / 3)));
    const error = await failureOf(exportSource(truncated, root));
    expect(error.code).toBe('INVALID_MODEL_FILE');
    expect(error.message).toMatch(/truncated/);
  });

  it('refuses a TF.js model.json whose weight shards are missing, naming them', async () => {
    const directory = path.join(root, 'tfjs-without-shards');
    await mkdir(directory);
    const model = {
      format: 'graph-model',
      modelTopology: { node: [{ name: 'x', op: 'Placeholder', attr: { dtype: { type: 'DT_FLOAT' } } }] },
      weightsManifest: [{ paths: ['group1-shard1of2.bin', 'group1-shard2of2.bin'], weights: [{ name: 'w', shape: [4], dtype: 'float32' }] }],
    };
    await writeFile(path.join(directory, 'model.json'), JSON.stringify(model));
    const error = await failureOf(exportSource(path.join(directory, 'model.json'), root));
    expect(error.code).toBe('INVALID_MODEL_FILE');
    expect(error.details.missingShards).toEqual(['group1-shard1of2.bin', 'group1-shard2of2.bin']);
  });

  it('names a Keras custom layer it cannot rebuild and how to pass custom objects', async () => {
    const error = await failureOf(exportSource(path.join(root, 'custom_layer.keras'), root));
    expect(error.code).toBe('UNSUPPORTED_ARCHITECTURE');
    expect(error.details.layer).toMatch(/ScaleByTwo/);
    expect(error.message).toContain('customObjectsModule');
  });

  it('loads the custom layer from customObjectsModule only with trustRemoteCode', async () => {
    const moduleFile = path.join(root, 'custom_objects.py');
    await writeFile(
      moduleFile,
      ['import keras', 'class ScaleByTwo(keras.layers.Layer):', '    def call(self, inputs):', '        return inputs * 2.0', 'def get_custom_objects():', '    return {"ScaleByTwo": ScaleByTwo}', ''].join('\n'),
    );
    await copyFile(path.join(root, 'custom_layer.keras'), path.join(root, 'custom_layer_copy.keras'));
    const untrusted = await failureOf(exportSource(path.join(root, 'custom_layer_copy.keras'), root, { customObjectsModule: moduleFile }));
    expect(untrusted.code).toBe('TRUST_REMOTE_CODE_REQUIRED');
    const { result } = await exportSource(path.join(root, 'custom_layer.keras'), root, { customObjectsModule: moduleFile }, { trustRemoteCode: true });
    expect(result.files[0]?.inputs[0]?.name).toBe('values');
    expect(result.referenceCases).toHaveLength(2);
  });

  it('rejects malformed adapter options before starting Python', async () => {
    await expect(exportSource(path.join(root, 'legacy.h5'), root, { opset: 99 })).rejects.toThrow(RangeError);
    await expect(exportSource(path.join(root, 'legacy.h5'), root, { inputShapes: ['features[1,10]'] })).rejects.toThrow(/inputShapes/);
  });
});
