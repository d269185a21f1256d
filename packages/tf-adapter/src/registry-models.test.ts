// Real weights shipped by npm packages: Spotify's basic-pitch TF.js graph model and MediaPipe's
// selfie segmentation TFLite model (which uses MediaPipe's Convolution2DTransposeBias custom op).
import { stat } from 'node:fs/promises';
import path from 'node:path';

import { isExternalTensor, loadOnnxModel } from '@gpux/onnx';

import { compareReferenceCases } from './test-support/compare-reference-cases';
import { npmPackageFixture } from './test-support/npm-package-fixture';
import { exportSource, makeTemporaryDirectory } from './test-support/tensorflow-fixtures';

let root = '';
let cleanup: () => Promise<void> = async () => {};

beforeAll(async () => {
  ({ directory: root, cleanup } = await makeTemporaryDirectory('gpux-tf-registry-'));
});

afterAll(async () => {
  await cleanup();
});

describe('models shipped in npm packages', () => {
  it('converts the TF.js graph model of @spotify/basic-pitch@1.0.1, validated at batch 1 and 2', async () => {
    const packageDirectory = await npmPackageFixture('@spotify/basic-pitch@1.0.1');
    const { detection, result } = await exportSource(path.join(packageDirectory, 'model'), root);
    expect(detection.format).toBe('tfjs');
    const file = result.files[0];
    expect(file?.inputs).toEqual([{ name: 'input_2', dtype: 'float32', shape: ['batch_size', 43844, 1] }]);
    expect(file?.outputs.map((output) => output.name)).toEqual(['contour', 'Identity_1:0', 'Identity_2:0']);
    const differences = await compareReferenceCases(file?.path ?? '', result.referenceCases);
    expect(differences).toHaveLength(6);
    expect(differences.map((difference) => difference.shape[0])).toEqual([1, 1, 1, 2, 2, 2]);
    for (const difference of differences) expect(difference.maxAbsDiff).toBeLessThan(1e-4);
    expect(Math.max(...differences.map((difference) => difference.maxAbsReference))).toBeGreaterThan(0.1);
  });

  it('converts selfie_segmentation.tflite from @mediapipe/selfie_segmentation, custom op included', async () => {
    const packageDirectory = await npmPackageFixture('@mediapipe/selfie_segmentation@0.1.1675465747');
    const { detection, result } = await exportSource(path.join(packageDirectory, 'selfie_segmentation.tflite'), root);
    expect(detection.format).toBe('tflite');
    expect(result.notes.join(' ')).toContain('Convolution2DTransposeBias');
    const file = result.files[0];
    expect(file?.inputs).toEqual([{ name: 'input_1', dtype: 'float32', shape: [1, 256, 256, 3] }]);
    expect(file?.outputs).toEqual([{ name: 'activation_10', dtype: 'float32', shape: [1, 256, 256, 1] }]);
    const differences = await compareReferenceCases(file?.path ?? '', result.referenceCases);
    expect(differences).toHaveLength(2);
    // Sigmoid mask in [0, 1]; XNNPACK and onnxruntime round differently by a few 1e-5.
    for (const difference of differences) expect(difference.maxAbsDiff).toBeLessThan(1e-3);
    expect(Math.max(...differences.map((difference) => difference.maxAbsReference))).toBeGreaterThan(0.1);
  });

  it('writes the TFLite model\'s weights as external data in large-model mode (tf2onnx\'s own path fails there)', async () => {
    const packageDirectory = await npmPackageFixture('@mediapipe/selfie_segmentation@0.1.1675465747');
    const { result } = await exportSource(path.join(packageDirectory, 'selfie_segmentation.tflite'), path.join(root, 'large'), { largeModel: true });
    const file = result.files[0]!;
    const model = await loadOnnxModel(file.path);
    expect(model.graph!.initializer.filter((tensor) => isExternalTensor(tensor)).length).toBeGreaterThan(20);
    expect((await stat(`${file.path}.data`)).size).toBeGreaterThan(300_000);
    const differences = await compareReferenceCases(file.path, result.referenceCases);
    expect(differences).toHaveLength(2);
    for (const difference of differences) expect(difference.maxAbsDiff).toBeLessThan(1e-3);
  });
});
