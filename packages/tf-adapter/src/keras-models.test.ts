import { stat } from 'node:fs/promises';
import path from 'node:path';

import type { ExportResult } from '@gpux/converter-core';
import { isExternalTensor, loadOnnxModel } from '@gpux/onnx';

import { compareReferenceCases } from './test-support/compare-reference-cases';
import { buildFixtures, exportSource, makeTemporaryDirectory, tensorflowPython } from './test-support/tensorflow-fixtures';

let root = '';
let cleanup: () => Promise<void> = async () => {};

beforeAll(async () => {
  ({ directory: root, cleanup } = await makeTemporaryDirectory('gpux-tf-keras-'));
  await buildFixtures(await tensorflowPython(), root, ['resnet50', 'mobilenetv2', 'gru', 'transformer', 'legacy_h5']);
}, 600_000);

afterAll(async () => {
  await cleanup();
});

/** Checks every output; `relative` compares against the largest reference value (tiny random-init logits). */
async function expectValidated(result: ExportResult, tolerance: number, relative = false): Promise<number> {
  const file = result.files[0];
  if (file === undefined) throw new Error('no exported file');
  expect(result.referenceCases).toHaveLength(2);
  const differences = await compareReferenceCases(file.path, result.referenceCases);
  expect(differences.length).toBeGreaterThanOrEqual(2);
  const worst = Math.max(...differences.map((difference) => (relative ? difference.maxAbsDiff / difference.maxAbsReference : difference.maxAbsDiff)));
  expect(worst).toBeLessThan(tolerance);
  // The reference must carry signal, or a constant graph would pass.
  expect(Math.min(...differences.map((difference) => difference.maxAbsReference))).toBeGreaterThan(relative ? 0 : 1e-3);
  return worst;
}

describe('Keras models through tf2onnx.convert.from_keras', () => {
  it('converts a GRU text classifier with dynamic batch and sequence, validated at two sizes', async () => {
    const { detection, result } = await exportSource(path.join(root, 'gru.keras'), root);
    expect(detection.format).toBe('keras');
    expect(result.exporter).toBe('tf2onnx.convert.from_keras');
    expect(result.opset).toBe(18);
    expect(result.architecture).toBe('gru_text_classifier');
    expect(result.files[0]?.inputs).toEqual([{ name: 'token_ids', dtype: 'int32', shape: ['batch_size', 'token_ids_dim1'] }]);
    expect(result.files[0]?.outputs).toEqual([{ name: 'logits', dtype: 'float32', shape: ['batch_size', 4] }]);
    expect(result.modelConfig?.vocabSize).toBe(120);
    const shapes = result.referenceCases.map((referenceCase) => referenceCase.inputs.token_ids?.shape);
    expect(shapes).toEqual([
      [1, 16],
      [2, 24],
    ]);
    expect(result.toolVersions.tf2onnx).toBe('1.17.0');
    await expectValidated(result, 1e-4);
  });

  it('converts a Transformer encoder block (MultiHeadAttention, LayerNormalization, exact GELU)', async () => {
    const { result } = await exportSource(path.join(root, 'transformer.keras'), root);
    expect(result.files[0]?.inputs).toEqual([{ name: 'embeddings', dtype: 'float32', shape: ['batch_size', 12, 32] }]);
    await expectValidated(result, 1e-4);
  });

  it('converts a legacy .h5 Keras model', async () => {
    const { detection, result } = await exportSource(path.join(root, 'legacy.h5'), root);
    expect(detection.format).toBe('tf-h5');
    expect(result.files[0]?.outputs[0]?.name).toBe('probabilities');
    await expectValidated(result, 1e-5);
  });

  it('converts ResNet50 (keras.applications, weights=None, 64x64, 5 classes)', async () => {
    const { result } = await exportSource(path.join(root, 'resnet50.keras'), root);
    expect(result.architecture).toBe('resnet50');
    expect(result.files[0]?.inputs[0]?.shape).toEqual(['batch_size', 64, 64, 3]);
    expect(result.files[0]?.outputs[0]?.shape).toEqual(['batch_size', 5]);
    await expectValidated(result, 1e-4);
  });

  it('converts MobileNetV2 with an NCHW input (inputsAsNchw)', async () => {
    const { result } = await exportSource(path.join(root, 'mobilenetv2.keras'), root, { inputsAsNchw: ['pixel_values'] });
    expect(result.files[0]?.inputs).toEqual([{ name: 'pixel_values', dtype: 'float32', shape: ['batch_size', 3, 96, 96] }]);
    expect(result.referenceCases[1]?.inputs.pixel_values?.shape).toEqual([2, 3, 96, 96]);
    // Activations of this random-init network shrink to ~1e-10 by the logits; compare relatively.
    await expectValidated(result, 1e-3, true);
  });

  it('large-model mode keeps the weights out of tf2onnx and writes them straight to external data', async () => {
    // externalWeightMinBytes 4096 lifts every convolution kernel of this small network, as the
    // 1 MiB default does for the weights of a model over 2 GiB.
    const { result } = await exportSource(path.join(root, 'mobilenetv2.keras'), path.join(root, 'lifted'), { largeModel: true, externalWeightMinBytes: 4096 });
    const file = result.files[0]!;
    const note = result.notes.find((line) => line.includes('kept out of tf2onnx')) ?? '';
    const [weights, folded] = (/^(\d+) weights .* (\d+) Transpose/.exec(note) ?? []).slice(1).map(Number);
    expect(weights).toBeGreaterThan(40);
    expect(folded).toBeGreaterThan(20);
    const model = await loadOnnxModel(file.path);
    const graph = model.graph!;
    expect(graph.input.map((input) => input.name)).toEqual(['pixel_values']);
    const external = new Set(graph.initializer.filter((tensor) => isExternalTensor(tensor)).map((tensor) => tensor.name));
    expect(external.size).toBeGreaterThanOrEqual(weights!);
    // tf2onnx transposes each HWIO kernel to OIHW: those Transposes were applied while writing.
    expect(graph.node.filter((node) => node.opType === 'Transpose' && external.has(node.input[0]))).toEqual([]);
    // Every Conv reads its kernel from an initializer (lifted ones from the data file), none from a runtime op.
    const initializers = new Set(graph.initializer.map((tensor) => tensor.name));
    const convs = graph.node.filter((node) => node.opType === 'Conv');
    expect(convs.length).toBeGreaterThan(30);
    expect(convs.filter((node) => !initializers.has(node.input[1]))).toEqual([]);
    expect(convs.filter((node) => external.has(node.input[1])).length).toBeGreaterThan(20);
    expect((await stat(file.path)).size).toBeLessThan(256 * 1024);
    expect((await stat(`${file.path}.data`)).size).toBeGreaterThan(1_500_000);
    await expectValidated(result, 1e-3, true);
  });

  it('large-model mode converts the GRU classifier with its weights lifted, validated at two sizes', async () => {
    const { result } = await exportSource(path.join(root, 'gru.keras'), path.join(root, 'lifted-gru'), { largeModel: true, externalWeightMinBytes: 1024 });
    expect(result.notes.some((line) => /^[1-9]\d* weights of 1024 bytes or more were kept out of tf2onnx/.test(line))).toBe(true);
    expect(result.files[0]?.inputs).toEqual([{ name: 'token_ids', dtype: 'int32', shape: ['batch_size', 'token_ids_dim1'] }]);
    await expectValidated(result, 1e-4);
  });
});
