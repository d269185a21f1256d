// TF.js layers models (issue 14): the Keras model is rebuilt from the topology and the weight
// manifest, then converted as Keras. The fixtures carry the output Keras computes from the same
// arrays, so a weight set on the wrong variable fails here even though the export's own reference
// (the rebuilt model) would agree with it.
import { readFile } from 'node:fs/promises';
import path from 'node:path';

import type { ExportResult } from '@gpux/converter-core';
import * as ort from 'onnxruntime-node';

import { compareReferenceCases } from './test-support/compare-reference-cases';
import { buildFixtures, exportSource, makeTemporaryDirectory, tensorflowPython } from './test-support/tensorflow-fixtures';

let root = '';
let cleanup: () => Promise<void> = async () => {};

beforeAll(async () => {
  ({ directory: root, cleanup } = await makeTemporaryDirectory('gpux-tfjs-layers-'));
  await buildFixtures(await tensorflowPython(), root, ['tfjs_layers_sequential', 'tfjs_layers_functional'], 'make_breadth_fixtures.py');
}, 600_000);

afterAll(async () => {
  await cleanup();
});

/** Runs the exported model on the fixture's input; returns the largest difference from Keras's output. */
async function differenceFromExpected(result: ExportResult, fixture: string): Promise<{ maxAbsDiff: number; maxAbsExpected: number }> {
  const expected = JSON.parse(await readFile(path.join(root, fixture, 'expected.json'), 'utf8')) as { input: number[][]; output: number[][] };
  const file = result.files[0]!;
  const flatten = (value: unknown): number[] => (Array.isArray(value) ? value.flatMap(flatten) : [value as number]);
  const shape = (value: unknown): number[] => (Array.isArray(value) ? [value.length, ...shape(value[0])] : []);
  const session = await ort.InferenceSession.create(file.path);
  try {
    const feeds = { [file.inputs[0]!.name]: new ort.Tensor('float32', Float32Array.from(flatten(expected.input)), shape(expected.input)) };
    const output = (await session.run(feeds))[file.outputs[0]!.name]!;
    expect(output.dims).toEqual(shape(expected.output));
    const actual = output.data as Float32Array;
    const reference = flatten(expected.output);
    return {
      maxAbsDiff: Math.max(...reference.map((value, index) => Math.abs(value - actual[index]!))),
      maxAbsExpected: Math.max(...reference.map(Math.abs)),
    };
  } finally {
    await session.release();
  }
}

describe('TF.js layers models', () => {
  it('converts a Sequential saved by TF.js (trainable weights first, two shards), with the right weights', async () => {
    const { detection, result } = await exportSource(path.join(root, 'tfjs_layers_sequential'), root);
    expect(detection.format).toBe('tfjs');
    expect(result.exporter).toBe('tf2onnx.convert.from_keras (TF.js layers model rebuilt in Keras)');
    expect(result.notes[0]).toBe(
      'Rebuilt the Keras model (Sequential, 5 layers) from the TF.js layers topology and set its 8 weights from the manifest (by layer name), then converted it as a Keras model.',
    );
    const file = result.files[0]!;
    expect(file.inputs).toEqual([{ name: 'conv2d_Conv2D1_input', dtype: 'float32', shape: ['batch_size', 12, 12, 3] }]);
    expect(file.outputs).toEqual([{ name: 'dense_Dense1', dtype: 'float32', shape: ['batch_size', 3] }]);
    // A 12x12 RGB input and a Dense softmax head: an image classifier.
    expect(result.task).toBe('image-classification');
    const differences = await compareReferenceCases(file.path, result.referenceCases);
    expect(differences.map((difference) => difference.shape[0])).toEqual([1, 2]);
    for (const difference of differences) expect(difference.maxAbsDiff).toBeLessThan(1e-5);
    const { maxAbsDiff, maxAbsExpected } = await differenceFromExpected(result, 'tfjs_layers_sequential');
    expect(maxAbsDiff).toBeLessThan(1e-5);
    expect(maxAbsExpected).toBeGreaterThan(0.4);
  });

  it('converts a functional model from the Python converter (model_config, a uint8-quantized weight)', async () => {
    const { result } = await exportSource(path.join(root, 'tfjs_layers_functional', 'model.json'), root);
    expect(result.notes[0]).toMatch(/^Rebuilt the Keras model \(Functional, 4 layers\) .* its 5 weights from the manifest \(by layer name\)/);
    expect(result.modelConfig?.generatedBy).toBe('keras v2.15.0');
    const file = result.files[0]!;
    expect(file.inputs).toEqual([{ name: 'features', dtype: 'float32', shape: ['batch_size', 6] }]);
    expect(file.outputs).toEqual([{ name: 'scores', dtype: 'float32', shape: ['batch_size', 2] }]);
    expect(result.task).toBe('feature-extraction');
    const differences = await compareReferenceCases(file.path, result.referenceCases);
    expect(differences).toHaveLength(2);
    for (const difference of differences) expect(difference.maxAbsDiff).toBeLessThan(1e-5);
    const { maxAbsDiff, maxAbsExpected } = await differenceFromExpected(result, 'tfjs_layers_functional');
    expect(maxAbsDiff).toBeLessThan(1e-5);
    expect(maxAbsExpected).toBeGreaterThan(0.5);
  });
});
