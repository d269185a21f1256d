// The task of TensorFlow models that name none (python/task_inference.py): an image input and a
// [batch, classes] output from a dense softmax head (or named like a classifier's) is
// image-classification; a pooled feature vector stays feature-extraction.
import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { convert } from '@gpux/converter-core';
import * as ort from 'onnxruntime-node';

import { compareReferenceCases } from './test-support/compare-reference-cases';
import { buildFixtures, exportSource, makeTemporaryDirectory, tensorflowPython } from './test-support/tensorflow-fixtures';
import { createTensorflowAdapter } from './tensorflow-adapter';

let root = '';
let cleanup: () => Promise<void> = async () => {};

beforeAll(async () => {
  ({ directory: root, cleanup } = await makeTemporaryDirectory('gpux-tf-task-'));
  await buildFixtures(await tensorflowPython(), root, ['mobilenetv2_classifier', 'conv_classifier_savedmodel', 'conv_features'], 'make_breadth_fixtures.py');
}, 600_000);

afterAll(async () => {
  await cleanup();
});

describe('task inference for TensorFlow image models', () => {
  it('infers image-classification for keras.applications.MobileNetV2 and records it in the report and gpux.yml', async () => {
    const outputDirectory = path.join(root, 'mobilenetv2-out');
    const result = await convert({ source: path.join(root, 'mobilenetv2_classifier.keras'), adapters: [createTensorflowAdapter()], outputDirectory });
    expect(result.report.task).toBe('image-classification');
    expect(result.report.notes).toContain(
      "Task inferred as image-classification: one NHWC image input input_layer [batch_size, 96, 96, 3] and one [batch, 10] output from a dense layer with Softmax and an output named predictions. Pass a task to override it.",
    );
    expect(result.report.models[0]!.outputs).toEqual([{ name: 'predictions', dtype: 'float32', shape: ['batch_size', 10] }]);
    const gpux = await readFile(result.gpuxConfigPath, 'utf8');
    expect(gpux).toMatch(/^\s+task: image-classification$/m);
    expect(gpux).toContain('(task: image-classification)');
    // Validated against Keras at batch 1 and 2 (H/W are fixed at 96 by the model), on outputs
    // that differ between classes (the fixture's calibrated BatchNorm statistics).
    const validation = result.report.validation[0]!;
    expect(validation.status).toBe('passed');
    expect(validation.report!.cases.map((entry) => entry.label)).toEqual(['batch_size=1, input_layer=[1, 96, 96, 3]', 'batch_size=2, input_layer=[2, 96, 96, 3]']);
    for (const entry of validation.report!.cases) expect(entry.outputs[0]!.maxAbsDiff!).toBeLessThan(1e-5);
    const written = JSON.parse(await readFile(result.reportPath, 'utf8')) as { task: string };
    expect(written.task).toBe('image-classification');
    // The written model's probabilities sum to 1 and are far from uniform (at random init they were 0.1 each).
    const session = await ort.InferenceSession.create(result.modelPath);
    try {
      const pixels = Float32Array.from({ length: 96 * 96 * 3 }, (_, index) => Math.sin(index * 0.37));
      const probabilities = (await session.run({ input_layer: new ort.Tensor('float32', pixels, [1, 96, 96, 3]) })).predictions!.data as Float32Array;
      expect(probabilities.reduce((sum, value) => sum + value, 0)).toBeCloseTo(1, 5);
      expect(Math.max(...probabilities) - Math.min(...probabilities)).toBeGreaterThan(0.05);
    } finally {
      await session.release();
    }
  }, 300_000);

  it('infers it for a SavedModel from the graph alone (output_0 from MatMul, Add, Softmax), with the input made NCHW', async () => {
    const { detection, result } = await exportSource(path.join(root, 'conv_classifier_savedmodel'), root, { inputsAsNchw: ['pixels'] });
    expect(detection.format).toBe('tf-savedmodel');
    expect(result.task).toBe('image-classification');
    const file = result.files[0]!;
    expect(file.inputs).toEqual([{ name: 'pixels', dtype: 'float32', shape: ['batch_size', 3, 32, 32] }]);
    expect(file.outputs).toEqual([{ name: 'output_0', dtype: 'float32', shape: ['batch_size', 4] }]);
    expect(result.notes).toContain(
      "Task inferred as image-classification: one NCHW image input pixels [batch_size, 3, 32, 32] and one [batch, 4] output from a dense layer with Softmax. Pass a task to override it.",
    );
    const differences = await compareReferenceCases(file.path, result.referenceCases);
    expect(differences).toHaveLength(2);
    for (const difference of differences) expect(difference.maxAbsDiff).toBeLessThan(1e-5);
  }, 300_000);

  it('keeps feature-extraction for a Conv/GlobalAveragePooling feature vector', async () => {
    const { result } = await exportSource(path.join(root, 'conv_features.keras'), root);
    expect(result.files[0]!.inputs).toEqual([{ name: 'pixels', dtype: 'float32', shape: ['batch_size', 32, 32, 3] }]);
    expect(result.files[0]!.outputs).toEqual([{ name: 'features', dtype: 'float32', shape: ['batch_size', 16] }]);
    expect(result.task).toBe('feature-extraction');
    expect(result.notes.some((note) => note.startsWith('Task inferred'))).toBe(false);
    const differences = await compareReferenceCases(result.files[0]!.path, result.referenceCases);
    for (const difference of differences) expect(difference.maxAbsDiff).toBeLessThan(1e-5);
  }, 300_000);
});
