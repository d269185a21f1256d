import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import {
  OnnxError,
  createTensor,
  inspectOnnxModel,
  isExternalTensor,
  loadOnnxModel,
  makeGraph,
  makeModel,
  makeNode,
  makeValueInfo,
  saveOnnxModel,
  tensorToTypedArray,
} from './index';
import type { TensorTypedArray } from './index';
import { findTestPython } from '@gpux/test-helpers';
import { runFixture } from './test-fixtures/run-fixture';

/**
 * Runs the model in onnxruntime-node in a plain Node child: inside jest's sandbox onnxruntime's
 * `instanceof Float32Array` checks fail on its own native outputs (another realm's typed arrays).
 */
function runInOnnxruntimeNode(modelPath: string, input: string, dims: number[]): number[] {
  const script = path.join(__dirname, 'test-fixtures', 'run-onnxruntime-node.cjs');
  const stdout = execFileSync(process.execPath, [script, modelPath, input, dims.join(',')], { encoding: 'utf8' });
  return (JSON.parse(stdout) as { outputs: number[][] }).outputs[0]!;
}

function buildDenseModel(): ReturnType<typeof makeModel> {
  const weight = createTensor('weight', 'float32', [16, 8], Float32Array.from({ length: 128 }, (_, index) => Math.sin(index)));
  const bias = createTensor('bias', 'float32', [8], Float32Array.from({ length: 8 }, (_, index) => index / 10));
  const scale = createTensor('scale', 'float32', [1], new Float32Array([0.5]));
  const graph = makeGraph(
    [
      makeNode('MatMul', ['x', 'weight'], ['product'], { name: 'matmul' }),
      makeNode('Add', ['product', 'bias'], ['shifted'], { name: 'add' }),
      makeNode('Mul', ['shifted', 'scale'], ['y'], { name: 'mul' }),
    ],
    'dense',
    [makeValueInfo('x', 'float32', ['batch', 16])],
    [makeValueInfo('y', 'float32', ['batch', 8])],
    { initializer: [bias, weight, scale] },
  );
  return makeModel(graph);
}

/** A tensor's values as a plain array (numbers, or bigints for 64-bit integer types). */
function valuesOf(values: TensorTypedArray): Array<number | bigint> {
  return Array.from(values as ArrayLike<number | bigint>);
}

describe('ONNX external data', () => {
  let directory: string;
  let python: string;

  beforeAll(async () => {
    python = await findTestPython('pytorch');
  }, 1_800_000);

  beforeEach(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), 'gpux-onnx-external-'));
  });

  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('writes external data that onnxruntime-node and Python onnx.load (with its reference evaluator) read alike', async () => {
    const model = buildDenseModel();
    const target = path.join(directory, 'dense.onnx');
    const result = await saveOnnxModel(model, target, { externalData: true, sizeThreshold: 16, alignment: 64 });
    expect(result.externalDataPath).toBe(path.join(directory, 'dense.onnx.data'));
    expect(result.externalTensorCount).toBe(2); // bias (32 B) and weight (512 B); scale (4 B) stays inline
    expect((await stat(result.externalDataPath!)).size).toBe(result.externalDataBytes);
    expect(result.externalDataBytes).toBe(64 + 512); // bias at 0, weight aligned to 64
    expect(model.graph!.initializer[1]!.externalData).toEqual([]); // the caller's model is untouched
    expect((await readdir(directory)).sort()).toEqual(['dense.onnx', 'dense.onnx.data']);

    const fromNode = runInOnnxruntimeNode(target, 'x', [3, 16]);
    const fromPython = runFixture(python, 'onnx_facts.py', ['run', target, 'x', '3,16']) as { initializers: number; outputs: number[][] };
    expect(fromPython.initializers).toBe(3);
    expect(fromNode).toHaveLength(24);
    fromPython.outputs[0]!.forEach((value, index) => expect(fromNode[index]).toBeCloseTo(value, 5));

    const reloaded = await loadOnnxModel(target);
    const weight = reloaded.graph!.initializer[1]!;
    expect(isExternalTensor(weight)).toBe(true);
    expect(weight.externalData).toEqual([
      { key: 'location', value: 'dense.onnx.data' },
      { key: 'offset', value: '64' },
      { key: 'length', value: '512' },
    ]);
    expect(isExternalTensor(reloaded.graph!.initializer[2]!)).toBe(false);
    expect(valuesOf(tensorToTypedArray(weight)).slice(0, 3)).toEqual(Array.from(Float32Array.from([0, Math.sin(1), Math.sin(2)])));
    const inspection = await inspectOnnxModel(reloaded);
    expect(inspection.sizeOnDisk).toEqual({
      modelBytes: (await stat(target)).size,
      externalDataBytes: result.externalDataBytes,
      totalBytes: (await stat(target)).size + result.externalDataBytes,
    });
  });

  it('loads a model that Python onnx saved with external data, lazily or eagerly, and re-saves it', async () => {
    const source = path.join(directory, 'python.onnx');
    const expected = runFixture(python, 'onnx_facts.py', ['make-external', source]) as { weight: number[]; bias: number[] };
    const lazy = await loadOnnxModel(source);
    const [weight, bias] = lazy.graph!.initializer;
    expect(isExternalTensor(weight!)).toBe(true);
    expect(weight!.rawData).toBeUndefined();
    expect(valuesOf(tensorToTypedArray(weight!))).toEqual(Array.from(Float32Array.from(expected.weight)));
    expect(valuesOf(tensorToTypedArray(bias!))).toEqual(Array.from(Float32Array.from(expected.bias)));

    const eager = await loadOnnxModel(source, { loadExternalData: true });
    expect(isExternalTensor(eager.graph!.initializer[0]!)).toBe(false);
    expect(eager.graph!.initializer[0]!.rawData!.byteLength).toBe(16 * 8 * 4);

    // Inline copy (streamed from weights.bin) and an external copy into a new folder.
    const inline = path.join(directory, 'inline', 'model.onnx');
    const inlineResult = await saveOnnxModel(lazy, inline, { externalData: false });
    expect(inlineResult.externalDataPath).toBeUndefined();
    const copied = path.join(directory, 'copied', 'model.onnx');
    const copiedResult = await saveOnnxModel(lazy, copied);
    expect(copiedResult.externalDataPath).toBe(path.join(directory, 'copied', 'model.onnx.data'));
    const sourceOutputs = runFixture(python, 'onnx_facts.py', ['run', source, 'x', '2,16']) as { outputs: number[][] };
    for (const file of [inline, copied]) {
      const outputs = runFixture(python, 'onnx_facts.py', ['run', file, 'x', '2,16']) as { outputs: number[][] };
      expect(outputs.outputs).toEqual(sourceOutputs.outputs);
      const fromNode = runInOnnxruntimeNode(file, 'x', [2, 16]);
      fromNode.forEach((value, index) => expect(value).toBeCloseTo(sourceOutputs.outputs[0]![index]!, 5));
    }
  });

  it("keeps external data under 'auto' after a rewrite replaced every external tensor of a lazily loaded model", async () => {
    const source = path.join(directory, 'python.onnx');
    runFixture(python, 'onnx_facts.py', ['make-external', source]);
    const lazy = await loadOnnxModel(source);
    const initializers = lazy.graph!.initializer;
    // Replace each external initializer by a new in-memory tensor of the same values, as fp16/int8 rewrites do.
    initializers.forEach((tensor, index) => {
      initializers[index] = createTensor(tensor.name!, 'float32', tensor.dims, tensorToTypedArray(tensor) as Float32Array);
    });
    expect(initializers.some((tensor) => isExternalTensor(tensor))).toBe(false);
    const rewritten = path.join(directory, 'rewritten', 'model.onnx');
    // The fixture's tensors are small: lower the per-tensor threshold (default 1 KiB) so they qualify.
    const result = await saveOnnxModel(lazy, rewritten, { sizeThreshold: 16 });
    expect(result.externalDataPath).toBe(path.join(directory, 'rewritten', 'model.onnx.data'));
    expect(result.externalTensorCount).toBeGreaterThan(0);
    // An eagerly loaded model was inlined on purpose (as onnx.load does): 'auto' writes one file.
    const eager = await loadOnnxModel(source, { loadExternalData: true });
    const inlineResult = await saveOnnxModel(eager, path.join(directory, 'eager', 'model.onnx'), { sizeThreshold: 16 });
    expect(inlineResult.externalDataPath).toBeUndefined();
  });

  it('names the missing external data file in an INVALID_MODEL_FILE error', async () => {
    const source = path.join(directory, 'python.onnx');
    runFixture(python, 'onnx_facts.py', ['make-external', source]);
    await rm(path.join(directory, 'weights.bin'));
    const error: unknown = await loadOnnxModel(source).catch((caught: unknown) => caught);
    expect(OnnxError.hasCode(error, 'INVALID_MODEL_FILE')).toBe(true);
    expect((error as Error).message).toContain(path.join(directory, 'weights.bin'));
  });

  it('leaves no partial files when the save is cancelled', async () => {
    const controller = new AbortController();
    controller.abort();
    const target = path.join(directory, 'cancelled.onnx');
    const error: unknown = await saveOnnxModel(buildDenseModel(), target, { externalData: true, signal: controller.signal }).catch(
      (caught: unknown) => caught,
    );
    expect(OnnxError.hasCode(error, 'CANCELLED')).toBe(true);
    expect(await readdir(directory)).toEqual([]);
  });
});
