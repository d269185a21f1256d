// Provenance is data: a loaded model says where it came from (`loadedFrom`), an external tensor
// where its bytes are (`externalSource`), and copies keep both.
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  createTensor,
  externalDataSource,
  isExternalTensor,
  loadOnnxModel,
  loadOnnxModelFromBuffer,
  makeGraph,
  makeModel,
  makeNode,
  makeValueInfo,
  onnxModelSourcePath,
  readExternalTensorBytes,
  readExternalTensorBytesSync,
  saveOnnxModel,
  serializeOnnxModel,
  tensorToTypedArray,
} from './index';
import type { ModelProto, TensorProto } from './index';

const weightValues = Float32Array.from({ length: 128 }, (_, index) => Math.cos(index) * 3);
const biasValues = Float32Array.from({ length: 8 }, (_, index) => index - 4);

function buildModel(): ModelProto {
  const graph = makeGraph(
    [makeNode('MatMul', ['x', 'weight'], ['product']), makeNode('Add', ['product', 'bias'], ['y'])],
    'dense',
    [makeValueInfo('x', 'float32', ['batch', 16])],
    [makeValueInfo('y', 'float32', ['batch', 8])],
    { initializer: [createTensor('weight', 'float32', [16, 8], weightValues), createTensor('bias', 'float32', [8], biasValues)] },
  );
  return makeModel(graph);
}

const initializer = (model: ModelProto, name: string): TensorProto => model.graph!.initializer.find((tensor) => tensor.name === name)!;

describe('external data provenance', () => {
  let scratch: string;
  let first: string;
  let firstModel: string;

  beforeEach(async () => {
    scratch = await mkdtemp(path.join(os.tmpdir(), 'gpux-onnx-provenance-'));
    first = path.join(scratch, 'first');
    firstModel = path.join(first, 'model.onnx');
    // weight (512 B) at offset 0, bias (32 B) at offset 512 of model.onnx.data.
    await saveOnnxModel(buildModel(), firstModel, { externalData: true, sizeThreshold: 16 });
  });

  afterEach(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('records the file and folder on the model, and the data file and range on each external tensor', async () => {
    const model = await loadOnnxModel(firstModel);
    expect(model.loadedFrom).toEqual({ file: firstModel, baseDirectory: first, externalData: true });
    expect(onnxModelSourcePath(model)).toBe(firstModel);
    expect(externalDataSource(initializer(model, 'weight'))).toEqual({ baseDirectory: first, file: path.join(first, 'model.onnx.data'), offset: 0, length: 512 });
    expect(externalDataSource(initializer(model, 'bias'))).toEqual({ baseDirectory: first, file: path.join(first, 'model.onnx.data'), offset: 512, length: 32 });
    // Provenance is not part of the model's bytes: re-encoding gives the file back exactly.
    expect(Buffer.from(serializeOnnxModel(model)).equals(await readFile(firstModel))).toBe(true);
  });

  it('reads a spread copy of an external tensor, synchronously and asynchronously', async () => {
    const model = await loadOnnxModel(firstModel);
    const copy: TensorProto = { ...initializer(model, 'weight') };
    expect(isExternalTensor(copy)).toBe(true);
    expect(Array.from(tensorToTypedArray(copy) as Float32Array)).toEqual(Array.from(weightValues));
    const asynchronous = await readExternalTensorBytes(copy);
    expect(Buffer.from(asynchronous).equals(Buffer.from(weightValues.buffer))).toBe(true);
    expect(Buffer.from(readExternalTensorBytesSync({ ...initializer(model, 'bias') })).equals(Buffer.from(biasValues.buffer))).toBe(true);
  });

  it('saves a model loaded from one folder into another with its external data, which then stands alone', async () => {
    const model = await loadOnnxModel(firstModel);
    const secondModel = path.join(scratch, 'second', 'model.onnx');
    const saved = await saveOnnxModel(model, secondModel, { sizeThreshold: 16 });
    expect(saved.externalDataPath).toBe(path.join(scratch, 'second', 'model.onnx.data'));
    expect(saved.externalTensorCount).toBe(2);
    await rm(first, { recursive: true, force: true });
    expect((await readdir(path.join(scratch, 'second'))).sort()).toEqual(['model.onnx', 'model.onnx.data']);
    const reloaded = await loadOnnxModel(secondModel);
    expect(reloaded.loadedFrom.baseDirectory).toBe(path.join(scratch, 'second'));
    expect(Array.from(tensorToTypedArray(initializer(reloaded, 'weight')) as Float32Array)).toEqual(Array.from(weightValues));
    expect(Array.from(tensorToTypedArray(initializer(reloaded, 'bias')) as Float32Array)).toEqual(Array.from(biasValues));
  });

  it("saves a spread copy of a loaded model whose external tensors are spread copies too, keeping 'auto' external data", async () => {
    const model = await loadOnnxModel(firstModel);
    const copy = { ...model, graph: { ...model.graph!, initializer: model.graph!.initializer.map((tensor) => ({ ...tensor })) } };
    expect(onnxModelSourcePath(copy)).toBe(firstModel);
    const target = path.join(scratch, 'copy', 'model.onnx');
    const saved = await saveOnnxModel(copy, target);
    expect(saved.externalDataPath).toBe(`${target}.data`);
    const reloaded = await loadOnnxModel(target, { loadExternalData: true });
    expect(Array.from(tensorToTypedArray(initializer(reloaded, 'weight')) as Float32Array)).toEqual(Array.from(weightValues));
  });

  it('loads external data up front asynchronously, leaving internal tensors without a source', async () => {
    const model = await loadOnnxModel(firstModel, { loadExternalData: true });
    const weight = initializer(model, 'weight');
    expect(isExternalTensor(weight)).toBe(false);
    expect(externalDataSource(weight)).toBeUndefined();
    expect('externalSource' in weight).toBe(false);
    expect(model.loadedFrom).toEqual({ file: firstModel, baseDirectory: first, externalData: false });
    expect(Buffer.from(weight.rawData!).equals(Buffer.from(weightValues.buffer))).toBe(true);
  });

  it('decodes from a buffer with the folder it is given, and without one cannot read external bytes', async () => {
    const bytes = await readFile(firstModel);
    const withFolder = loadOnnxModelFromBuffer(bytes, { baseDirectory: first });
    expect(withFolder.loadedFrom).toEqual({ file: undefined, baseDirectory: first, externalData: true });
    expect(Array.from(tensorToTypedArray({ ...initializer(withFolder, 'bias') }) as Float32Array)).toEqual(Array.from(biasValues));
    const withoutFolder = loadOnnxModelFromBuffer(bytes);
    expect(withoutFolder.loadedFrom).toEqual({ file: undefined, baseDirectory: undefined, externalData: false });
    expect(externalDataSource(initializer(withoutFolder, 'bias'))).toBeUndefined();
    expect(() => tensorToTypedArray(initializer(withoutFolder, 'bias'))).toThrow(/baseDirectory/);
    await expect(readExternalTensorBytes(initializer(withoutFolder, 'bias'))).rejects.toThrow(TypeError);
    // An explicit folder still works for a tensor that has no recorded source.
    expect(Array.from(tensorToTypedArray(initializer(withoutFolder, 'bias'), { baseDirectory: first }) as Float32Array)).toEqual(Array.from(biasValues));
  });
});
