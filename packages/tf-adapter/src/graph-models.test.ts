import { existsSync } from 'node:fs';
import path from 'node:path';

import { ConversionError } from '@gpux/converter-core';
import { isExternalTensor, loadOnnxModel } from '@gpux/onnx';

import { listSavedModelSignatures } from './list-saved-model-signatures';
import { compareReferenceCases } from './test-support/compare-reference-cases';
import { buildFixtures, exportSource, makeTemporaryDirectory, tensorflowPython } from './test-support/tensorflow-fixtures';

let root = '';
let cleanup: () => Promise<void> = async () => {};

beforeAll(async () => {
  ({ directory: root, cleanup } = await makeTemporaryDirectory('gpux-tf-graph-'));
  await buildFixtures(await tensorflowPython(), root, ['module_savedmodel', 'frozen_graph', 'unsupported_savedmodel']);
}, 600_000);

afterAll(async () => {
  await cleanup();
});

describe('SavedModels and frozen graphs', () => {
  it('converts the serving_default signature of a tf.Module SavedModel, with names and dtypes', async () => {
    const { detection, result } = await exportSource(path.join(root, 'module_savedmodel'), root);
    expect(detection.format).toBe('tf-savedmodel');
    const file = result.files[0];
    expect(file?.inputs).toEqual([
      { name: 'bucket', dtype: 'int32', shape: ['batch_size'] },
      { name: 'features', dtype: 'float32', shape: ['batch_size', 6] },
    ]);
    expect(file?.outputs.map((output) => output.name)).toEqual(['scores', 'shifted']);
    expect(result.referenceCases.map((referenceCase) => referenceCase.inputs.features?.shape)).toEqual([
      [1, 6],
      [2, 6],
    ]);
    const differences = await compareReferenceCases(file?.path ?? '', result.referenceCases);
    expect(differences).toHaveLength(4);
    for (const difference of differences) expect(difference.maxAbsDiff).toBeLessThan(1e-5);
    expect(Math.max(...differences.map((difference) => difference.maxAbsReference))).toBeGreaterThan(0.1);
  });

  it('lists signatures, and names them when the requested one is missing', async () => {
    const signatures = await listSavedModelSignatures(path.join(root, 'module_savedmodel'));
    expect(signatures.map((signature) => signature.name).sort()).toEqual(['score_alias', 'serving_default']);
    expect(signatures[0]?.inputs.find((input) => input.name === 'features')?.shape).toEqual([-1, 6]);
    const failure = await exportSource(path.join(root, 'module_savedmodel'), root, { signature: 'predict' }).catch((error: unknown) => error);
    expect(ConversionError.isInstance(failure)).toBe(true);
    expect((failure as ConversionError).message).toContain("no signature 'predict'");
    expect((failure as ConversionError).details.signatures).toEqual(['score_alias', 'serving_default']);
  });

  it('writes external data when asked (largeModel) and the result still validates', async () => {
    const { result } = await exportSource(path.join(root, 'module_savedmodel'), root, { largeModel: true, signature: 'score_alias' });
    const file = result.files[0];
    expect(existsSync(`${file?.path ?? ''}.data`)).toBe(true);
    expect(result.notes.join(' ')).toContain('external data');
    const differences = await compareReferenceCases(file?.path ?? '', result.referenceCases);
    for (const difference of differences) expect(difference.maxAbsDiff).toBeLessThan(1e-5);
  });

  it('converts a frozen graph, finding its placeholder input and sink output', async () => {
    const { detection, result } = await exportSource(path.join(root, 'frozen_graph.pb'), root);
    expect(detection.format).toBe('tf-frozen-graph');
    expect(result.exporter).toBe('tf2onnx.convert.from_graph_def');
    expect(result.files[0]?.inputs).toEqual([{ name: 'image:0', dtype: 'float32', shape: ['batch_size', 8, 8, 2] }]);
    const differences = await compareReferenceCases(result.files[0]?.path ?? '', result.referenceCases);
    expect(differences).toHaveLength(2);
    for (const difference of differences) expect(difference.maxAbsDiff).toBeLessThan(1e-5);
  });

  it('keeps a frozen graph\'s weights out of tf2onnx in large-model mode (kernel transposed while written)', async () => {
    const { result } = await exportSource(path.join(root, 'frozen_graph.pb'), path.join(root, 'lifted-frozen'), { largeModel: true, externalWeightMinBytes: 64 });
    expect(result.notes.some((line) => line.startsWith('1 weights of 64 bytes or more were kept out of tf2onnx') && line.includes('1 Transpose'))).toBe(true);
    const model = await loadOnnxModel(result.files[0]?.path ?? '');
    const kernel = model.graph!.initializer.find((tensor) => tensor.name === model.graph!.node.find((node) => node.opType === 'Conv')?.input[1]);
    expect(kernel === undefined ? false : isExternalTensor(kernel)).toBe(true);
    expect(kernel?.dims.map(Number)).toEqual([4, 2, 3, 3]);
    const differences = await compareReferenceCases(result.files[0]?.path ?? '', result.referenceCases);
    expect(differences).toHaveLength(2);
    for (const difference of differences) expect(difference.maxAbsDiff).toBeLessThan(1e-5);
  });

  it('reports every unsupported operator with its count', async () => {
    const failure = await exportSource(path.join(root, 'unsupported_savedmodel'), root).catch((error: unknown) => error);
    expect(ConversionError.hasCode(failure, 'UNSUPPORTED_OPERATOR')).toBe(true);
    const error = failure as ConversionError;
    expect(error.details.operators).toEqual([
      { op: 'Lgamma', count: 2 },
      { op: 'BesselI0e', count: 1 },
      { op: 'Digamma', count: 1 },
      { op: 'Igamma', count: 1 },
    ]);
    expect(error.message).toContain('Lgamma (x2)');
    expect(error.message).toContain('allowCustomOps');
  });

  it('keeps unsupported operators as custom ops with allowCustomOps, saying so', async () => {
    const { result } = await exportSource(path.join(root, 'unsupported_savedmodel'), root, { allowCustomOps: true });
    expect(existsSync(result.files[0]?.path ?? '')).toBe(true);
    expect(result.notes.join(' ')).toContain('Lgamma (x2)');
    expect(result.notes.join(' ')).toContain('ai.onnx.converters.tensorflow');
    expect(result.referenceCases).toEqual([]);
  });
});
