import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { dataTypeName, inspectOnnxModel, loadOnnxModel, saveOnnxModel, serializeOnnxModel } from './index';
import { findTestPython } from '@gpux/test-helpers';
import { runFixture } from './test-fixtures/run-fixture';

interface PythonInspection {
  ir_version: number;
  producer_name: string;
  opsets: Array<[string, number]>;
  inputs: Array<{ name: string; elem_type: number; dims: Array<number | string | null> }>;
  outputs: Array<{ name: string; elem_type: number; dims: Array<number | string | null> }>;
  histogram: Record<string, number>;
  parameters: number;
  file_bytes: number;
}

interface Comparison {
  checker: string;
  identical_bytes: boolean;
  equal_messages: boolean;
  differences: string[];
}

describe('ONNX round trip on real exported models', () => {
  let directory: string;
  const python: Record<'torch' | 'tensorflow', string> = { torch: '', tensorflow: '' };

  beforeAll(async () => {
    python.torch = await findTestPython('pytorch');
    python.tensorflow = await findTestPython('tensorflow');
    directory = await mkdtemp(path.join(os.tmpdir(), 'gpux-onnx-round-trip-'));
    runFixture(python.torch, 'export_torch_models.py', [directory]);
    runFixture(python.torch, 'make_feature_model.py', [path.join(directory, 'features.onnx')]);
    runFixture(python.tensorflow, 'export_keras_model.py', [path.join(directory, 'keras.onnx')]);
  }, 1_800_000);

  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  const cases: Array<[string, 'torch' | 'tensorflow']> = [
    ['dynamo.onnx', 'torch'],
    ['torchscript.onnx', 'torch'],
    ['features.onnx', 'torch'],
    ['keras.onnx', 'tensorflow'],
  ];

  it.each(cases)('%s loads and saves back byte for byte, and Python onnx agrees', async (name, framework) => {
    const source = path.join(directory, name);
    const model = await loadOnnxModel(source);
    const target = path.join(directory, `roundtrip-${name}`);
    const result = await saveOnnxModel(model, target);
    expect(result.externalDataPath).toBeUndefined();
    const [original, written] = await Promise.all([readFile(source), readFile(target)]);
    expect(written.byteLength).toBe(original.byteLength);
    expect(Buffer.compare(written, original)).toBe(0);
    expect(Buffer.from(serializeOnnxModel(model)).equals(original)).toBe(true);
    const comparison = runFixture(python[framework], 'compare_models.py', [source, target]) as Comparison;
    expect(comparison).toEqual({ checker: 'ok', identical_bytes: true, equal_messages: true, differences: [] });
  });

  it('keeps the dynamo exporter fields newer than ONNX 1.10 (IR 10, node metadata_props)', async () => {
    const model = await loadOnnxModel(path.join(directory, 'dynamo.onnx'));
    expect(model.irVersion).toBe(10);
    const withMetadata = model.graph!.node.filter((node) => node.metadataProps.length > 0);
    expect(withMetadata.length).toBeGreaterThan(0);
    expect(withMetadata[0]!.metadataProps.map((entry) => entry.key)).toContain('namespace');
  });

  it('reads local functions, overloads, sparse initializers and int64 beyond 2**53', async () => {
    const model = await loadOnnxModel(path.join(directory, 'features.onnx'));
    const localFunction = model.functions[0]!;
    expect([localFunction.domain, localFunction.name, localFunction.overload]).toEqual(['custom.local', 'ScaledAdd', 'v1']);
    expect(localFunction.attributeProto[0]!.name).toBe('alpha');
    expect(localFunction.metadataProps).toEqual([{ key: 'origin', value: 'test' }]);
    expect(model.graph!.metadataProps).toEqual([{ key: 'graph_key', value: 'graph_value' }]);
    expect(model.graph!.node[0]!.overload).toBe('v1');
    expect(model.modelVersion).toBe(2n ** 60n);
    const tag = model.graph!.node.find((node) => node.opType === 'Tag')!;
    expect(tag.attribute.find((attribute) => attribute.name === 'big')!.ints).toEqual([2n ** 62n, -(2n ** 63n), -1, 7]);
    const ends = model.graph!.initializer.find((tensor) => tensor.name === 'ends')!;
    expect(Array.from(ends.int64Data)).toEqual([2n ** 63n - 1n]);
    expect(model.graph!.sparseInitializer[0]!.dims).toEqual([2, 3]);
    expect(model.trainingInfo[0]!.updateBinding).toEqual([{ key: 'weight', value: 'weight' }]);
  });

  it.each(['dynamo.onnx', 'torchscript.onnx', 'features.onnx', 'keras.onnx'])('inspects %s with the numbers Python onnx counts', async (name) => {
    const file = path.join(directory, name);
    const inspection = await inspectOnnxModel(await loadOnnxModel(file));
    const expected = runFixture(python.torch, 'onnx_facts.py', ['inspect', file]) as PythonInspection;
    const toSummary = (value: PythonInspection['inputs'][number]): object => ({
      name: value.name,
      kind: 'tensor',
      elementType: dataTypeName(value.elem_type),
      dims: value.dims,
    });
    expect(inspection.irVersion).toBe(expected.ir_version);
    expect(inspection.producerName).toBe(expected.producer_name);
    expect(inspection.opsetImports.map((opset) => [opset.domain, opset.version])).toEqual(expected.opsets);
    expect(inspection.inputs).toEqual(expected.inputs.map(toSummary));
    expect(inspection.outputs).toEqual(expected.outputs.map(toSummary));
    expect(inspection.operatorHistogram).toEqual(expected.histogram);
    expect(inspection.parameterCount).toBe(expected.parameters);
    expect(inspection.sizeOnDisk).toEqual({ modelBytes: expected.file_bytes, externalDataBytes: 0, totalBytes: expected.file_bytes });
  });

  it('counts local function nodes apart and names symbolic dims', async () => {
    const inspection = await inspectOnnxModel(await loadOnnxModel(path.join(directory, 'features.onnx')));
    expect(inspection.functionOperatorHistogram).toEqual({ Constant: 1, Mul: 1, Add: 1 });
    expect(inspection.localFunctions).toEqual(['custom.local:ScaledAdd']);
    expect(inspection.operatorHistogram['custom.local:ScaledAdd']).toBe(1);
    expect(inspection.operatorHistogram.Identity).toBe(1); // inside the If's then-branch
    expect(inspection.inputs).toEqual([{ name: 'x', kind: 'tensor', elementType: 'float32', dims: ['batch', 3] }]);
    expect(inspection.outputs[0]!.dims).toEqual([null, 3]);
  });
});
