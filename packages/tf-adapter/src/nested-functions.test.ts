// Keras models whose layers call nested tf.functions (issue 14): Keras 3 runs every grouped
// convolution through `@tf.function(jit_compile=True)`, which freezing does not inline, so a
// ConvNeXt reached tf2onnx with one StatefulPartitionedCall per block.
import path from 'node:path';

import { isExternalTensor, loadOnnxModel } from '@gpux/onnx';

import { compareReferenceCases } from './test-support/compare-reference-cases';
import { buildFixtures, exportSource, makeTemporaryDirectory, tensorflowPython } from './test-support/tensorflow-fixtures';

let root = '';
let cleanup: () => Promise<void> = async () => {};

beforeAll(async () => {
  ({ directory: root, cleanup } = await makeTemporaryDirectory('gpux-tf-nested-'));
  await buildFixtures(await tensorflowPython(), root, ['convnext_small'], 'make_breadth_fixtures.py');
}, 600_000);

afterAll(async () => {
  await cleanup();
});

describe('Keras models built from nested tf.functions', () => {
  it('inlines the XLA-compiled grouped convolutions of a ConvNeXt and validates it at batch 1 and 2', async () => {
    const { result } = await exportSource(path.join(root, 'convnext_small.keras'), root);
    expect(result.architecture).toBe('convnext_small');
    expect(result.notes.find((note) => note.startsWith('Inlined'))).toMatch(/^Inlined 4 nested tf\.function call\(s\) \(4 XLA-compiled\)/);
    const file = result.files[0]!;
    expect(file.inputs).toEqual([{ name: 'input_layer', dtype: 'float32', shape: ['batch_size', 64, 64, 3] }]);
    expect(file.outputs).toEqual([{ name: 'convnext_small_head_dense', dtype: 'float32', shape: ['batch_size', 5] }]);
    const graph = (await loadOnnxModel(file.path)).graph!;
    const opTypes = graph.node.map((node) => node.opType);
    expect(opTypes.filter((op) => op?.includes('PartitionedCall'))).toEqual([]);
    // One depthwise convolution per block, each with group = its channel count.
    const groups = graph.node
      .filter((node) => node.opType === 'Conv')
      .map((node) => Number(node.attribute.find((attribute) => attribute.name === 'group')?.i ?? 1))
      .filter((group) => group > 1);
    expect(groups).toEqual([8, 16, 24, 32]);
    expect(result.referenceCases.map((referenceCase) => referenceCase.inputs.input_layer?.shape)).toEqual([
      [1, 64, 64, 3],
      [2, 64, 64, 3],
    ]);
    const differences = await compareReferenceCases(file.path, result.referenceCases);
    expect(differences).toHaveLength(2);
    for (const difference of differences) expect(difference.maxAbsDiff).toBeLessThan(1e-4);
    expect(Math.min(...differences.map((difference) => difference.maxAbsReference))).toBeGreaterThan(1e-2);
  });

  it('inlines them in large-model mode too, with the kernels written as external data', async () => {
    const { result } = await exportSource(path.join(root, 'convnext_small.keras'), path.join(root, 'lifted'), { largeModel: true, externalWeightMinBytes: 1024 });
    expect(result.notes.some((note) => note.startsWith('Inlined 4 nested tf.function call(s)'))).toBe(true);
    const file = result.files[0]!;
    const graph = (await loadOnnxModel(file.path)).graph!;
    expect(graph.node.filter((node) => node.opType?.includes('PartitionedCall'))).toEqual([]);
    expect(graph.initializer.filter((tensor) => isExternalTensor(tensor)).length).toBeGreaterThan(5);
    const differences = await compareReferenceCases(file.path, result.referenceCases);
    expect(differences).toHaveLength(2);
    for (const difference of differences) expect(difference.maxAbsDiff).toBeLessThan(1e-4);
  });
});
