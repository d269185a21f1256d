import { existsSync } from 'node:fs';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { ConversionError } from '@gpux/converter-core';

import { requirementSetForSource, tensorflowRequirements, tensorflowTransformersRequirements } from './tensorflow-requirements';
import { compareReferenceCases } from './test-support/compare-reference-cases';
import { buildFixtures, exportSource, makeTemporaryDirectory, tensorflowTransformersPython } from './test-support/tensorflow-fixtures';

// Hugging Face folders with tf_model.h5, converted in the `tensorflow-transformers` environment
// (transformers 4.57 + tf-keras). Fixtures: fixtures/make_hf_fixtures.py, tiny seeded configs.
let root = '';
let cleanup: () => Promise<void> = async () => {};

beforeAll(async () => {
  ({ directory: root, cleanup } = await makeTemporaryDirectory('gpux-tf-hf-'));
  await buildFixtures(await tensorflowTransformersPython(), root, ['hf_bert_classifier', 'hf_distilbert', 'hf_truncated'], 'make_hf_fixtures.py');
}, 900_000);

afterAll(async () => {
  await cleanup();
});

describe('Hugging Face folders with tf_model.h5', () => {
  it('chooses the tensorflow-transformers environment for tf_model.h5 and the tensorflow one for saved_model/', async () => {
    expect(await requirementSetForSource('hf-tensorflow', path.join(root, 'hf_bert_classifier'))).toBe(tensorflowTransformersRequirements);
    const withSavedModel = path.join(root, 'with-saved-model');
    await mkdir(path.join(withSavedModel, 'saved_model', '1'), { recursive: true });
    await writeFile(path.join(withSavedModel, 'saved_model', '1', 'saved_model.pb'), '');
    expect(await requirementSetForSource('hf-tensorflow', withSavedModel)).toBe(tensorflowRequirements);
    expect(await requirementSetForSource('keras', path.join(root, 'hf_bert_classifier'))).toBe(tensorflowRequirements);
  });

  it('converts a TFBertForSequenceClassification and matches TensorFlow at two batch sizes and sequence lengths', async () => {
    const { detection, result } = await exportSource(path.join(root, 'hf_bert_classifier'), root);
    expect(detection.format).toBe('hf-tensorflow');
    expect(result.architecture).toBe('TFBertForSequenceClassification');
    expect(result.task).toBe('text-classification');
    expect(result.exporter).toBe('tf2onnx.convert.from_function (transformers TF model)');
    expect(result.toolVersions.tensorflow).toBe('2.21.0');
    const file = result.files[0];
    expect(file?.inputs).toEqual([
      { name: 'input_ids', dtype: 'int32', shape: ['batch_size', 'sequence_length'] },
      { name: 'attention_mask', dtype: 'int32', shape: ['batch_size', 'sequence_length'] },
      { name: 'token_type_ids', dtype: 'int32', shape: ['batch_size', 'sequence_length'] },
    ]);
    expect(file?.outputs).toEqual([{ name: 'logits', dtype: 'float32', shape: ['batch_size', 3] }]);
    expect(result.referenceCases.map((referenceCase) => referenceCase.inputs.input_ids?.shape)).toEqual([
      [1, 16],
      [2, 24],
    ]);
    const differences = await compareReferenceCases(file?.path ?? '', result.referenceCases);
    expect(differences).toHaveLength(2);
    for (const difference of differences) expect(difference.maxAbsDiff).toBeLessThan(1e-4);
    expect(Math.max(...differences.map((difference) => difference.maxAbsReference))).toBeGreaterThan(0.05);
  }, 300_000);

  it('converts a TFDistilBertModel (no token_type_ids) with its hidden states', async () => {
    const { result } = await exportSource(path.join(root, 'hf_distilbert'), root);
    expect(result.architecture).toBe('TFDistilBertModel');
    expect(result.task).toBe('feature-extraction');
    const file = result.files[0];
    expect(file?.inputs.map((input) => input.name)).toEqual(['input_ids', 'attention_mask']);
    expect(file?.outputs).toEqual([{ name: 'last_hidden_state', dtype: 'float32', shape: ['batch_size', 'sequence_length', 32] }]);
    const differences = await compareReferenceCases(file?.path ?? '', result.referenceCases);
    expect(differences).toHaveLength(2);
    for (const difference of differences) expect(difference.maxAbsDiff).toBeLessThan(1e-4);
    expect(Math.max(...differences.map((difference) => difference.maxAbsReference))).toBeGreaterThan(0.5);
  }, 300_000);

  it('writes external data once the source passes largeModelThresholdBytes, and the result still validates', async () => {
    const source = path.join(root, 'hf_bert_classifier');
    const sourceBytes = (await stat(path.join(source, 'tf_model.h5'))).size + (await stat(path.join(source, 'config.json'))).size;
    const { result } = await exportSource(source, path.join(root, 'threshold'), { largeModelThresholdBytes: sourceBytes - 1 });
    const file = result.files[0];
    const data = `${file?.path ?? ''}.data`;
    expect(existsSync(data)).toBe(true);
    // tf2onnx moves its larger tensors (here the six biggest, 48 KB) to external data; onnxruntime
    // can only reproduce TensorFlow's outputs below by reading them from model.onnx.data.
    expect((await stat(data)).size).toBeGreaterThan(40_000);
    expect(result.notes.join(' ')).toContain(`the source holds ${sourceBytes} bytes, above ${sourceBytes - 1}`);
    const differences = await compareReferenceCases(file?.path ?? '', result.referenceCases);
    expect(differences).toHaveLength(2);
    for (const difference of differences) expect(difference.maxAbsDiff).toBeLessThan(1e-4);
  }, 300_000);

  it('refuses a truncated tf_model.h5 with INVALID_MODEL_FILE', async () => {
    const failure = await exportSource(path.join(root, 'hf_truncated'), root).catch((error: unknown) => error);
    expect(ConversionError.hasCode(failure, 'INVALID_MODEL_FILE')).toBe(true);
    expect((failure as ConversionError).message).toContain('tf_model.h5');
  }, 300_000);
});
