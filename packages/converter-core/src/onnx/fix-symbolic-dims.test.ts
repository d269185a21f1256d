import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fixSymbolicDimsInFile } from '../pipeline/apply-static-shapes';
import { loadOnnxRuntime } from '../runtime/load-onnx-runtime';
import { checkStaticShapes, evaluateDimExpression, fixSymbolicDims, parseStaticShapes } from './fix-symbolic-dims';
import { inspectOnnxModel } from './inspect-onnx-model';
import { loadOnnxModel } from './load-onnx-model';
import { makeGraph, makeModel, makeNode, makeValueInfo } from './make-node';
import { saveOnnxModel } from './save-onnx-model';
import type { ModelProto } from './onnx-types';

/** y = Concat(x, past) along axis 1: inputs [batch, seq] and [batch, past], output [batch, past + seq]. */
function concatModel(): ModelProto {
  return makeModel(
    makeGraph(
      [makeNode('Concat', ['past', 'x'], ['y'], { attributes: { axis: 1 } }), makeNode('Identity', ['y'], ['z'])],
      'concat',
      [makeValueInfo('x', 'float32', ['batch_size', 'sequence_length']), makeValueInfo('past', 'float32', ['batch_size', 'past_sequence_length'])],
      [makeValueInfo('z', 'float32', ['batch_size', 'past_sequence_length + sequence_length'])],
      { valueInfo: [makeValueInfo('y', 'float32', ['batch_size', 'past_sequence_length + sequence_length'])] },
    ),
  );
}

const dimsOf = (model: ModelProto, which: 'input' | 'output'): Array<Array<number | string | undefined>> =>
  model.graph!.input.length === 0 ? [] : model.graph![which].map((value) => value.type!.tensorType!.shape!.dim.map((dim) => dim.dimParam ?? dim.dimValue));

describe('fixSymbolicDims', () => {
  it('replaces the named dims on inputs and outputs and evaluates dim expressions of fixed names', () => {
    const model = concatModel();
    const result = fixSymbolicDims(model, { batch_size: 1, sequence_length: 4, past_sequence_length: 3 });
    expect(dimsOf(model, 'input')).toEqual([[1, 4], [1, 3]]);
    expect(dimsOf(model, 'output')).toEqual([[1, 7]]);
    expect(result.remainingInputDims).toEqual([]);
    expect(result.replaced).toEqual({ batch_size: 4, sequence_length: 1, past_sequence_length: 1, 'past_sequence_length + sequence_length': 2 });
  });

  it('leaves the other dims symbolic, drops value_info that still names them, and reports them', () => {
    const model = concatModel();
    const result = fixSymbolicDims(model, { batch_size: 2 });
    expect(dimsOf(model, 'input')).toEqual([[2, 'sequence_length'], [2, 'past_sequence_length']]);
    expect(dimsOf(model, 'output')).toEqual([[2, 'past_sequence_length + sequence_length']]);
    expect(model.graph!.valueInfo).toEqual([]);
    expect(result.remainingInputDims).toEqual(['sequence_length', 'past_sequence_length']);
  });

  it('sets still-symbolic output dims from observed output shapes of the same rank', () => {
    const model = makeModel(makeGraph([makeNode('NonZero', ['x'], ['y'])], 'g', [makeValueInfo('x', 'float32', ['n'])], [makeValueInfo('y', 'int64', [1, 'count'])]));
    const result = fixSymbolicDims(model, { n: 5 }, { outputShapes: { y: [1, 3], other: [2] } });
    expect(dimsOf(model, 'output')).toEqual([[1, 3]]);
    expect(result.outputsFromObservedShapes).toEqual(['y']);
  });

  it('rejects sizes that are not positive integers', () => {
    expect(() => fixSymbolicDims(concatModel(), { batch_size: 0 })).toThrow(RangeError);
    expect(() => checkStaticShapes({ batch_size: 1.5 })).toThrow('batch_size');
  });
});

describe('evaluateDimExpression', () => {
  it.each([
    ['past_sequence_length + sequence_length', 11],
    ['2*s0', 8],
    ['s0 - 1', 3],
    ['(s0 + 2) // 3', 2],
  ])('%s = %d', (expression, value) => {
    expect(evaluateDimExpression(expression, { past_sequence_length: 7, sequence_length: 4, s0: 4 })).toBe(value);
  });

  it('is undefined for unknown names, other operators and negative results', () => {
    expect(evaluateDimExpression('a + unknown', { a: 1 })).toBeUndefined();
    expect(evaluateDimExpression('a ** 2', { a: 1 })).toBeUndefined();
    expect(evaluateDimExpression('a - 5', { a: 1 })).toBeUndefined();
  });
});

describe('parseStaticShapes', () => {
  it('parses name=size lists and refuses anything else', () => {
    expect(parseStaticShapes('batch_size=1, sequence_length=128')).toEqual({ batch_size: 1, sequence_length: 128 });
    expect(() => parseStaticShapes('batch_size')).toThrow(RangeError);
    expect(() => parseStaticShapes('batch_size=0')).toThrow('positive integer');
    expect(() => parseStaticShapes('')).toThrow('at least one');
  });
});

describe('fixSymbolicDimsInFile', () => {
  let scratch: string;
  beforeEach(async () => {
    scratch = await mkdtemp(path.join(os.tmpdir(), 'gpux-static-'));
  });
  afterEach(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('rewrites the file in place, leaves no scratch folder, and onnxruntime then reports static inputs and refuses other sizes', async () => {
    const file = path.join(scratch, 'model.onnx');
    await saveOnnxModel(concatModel(), file);
    const fixed = await fixSymbolicDimsInFile(file, { batch_size: 1, sequence_length: 2, past_sequence_length: 3 });
    expect(fixed.inputs).toEqual([
      { name: 'x', dtype: 'float32', shape: [1, 2] },
      { name: 'past', dtype: 'float32', shape: [1, 3] },
    ]);
    expect(fixed.outputs).toEqual([{ name: 'z', dtype: 'float32', shape: [1, 5] }]);
    expect(await readdir(scratch)).toEqual(['model.onnx']);
    const inspection = await inspectOnnxModel(await loadOnnxModel(file), { path: file });
    expect(inspection.inputs.map((input) => input.dims)).toEqual([[1, 2], [1, 3]]);
    const ort = loadOnnxRuntime();
    const session = await ort.InferenceSession.create(file);
    const result = await session.run({ x: new ort.Tensor('float32', new Float32Array([1, 2]), [1, 2]), past: new ort.Tensor('float32', new Float32Array([7, 8, 9]), [1, 3]) });
    expect(Array.from(result.z!.data as Float32Array)).toEqual([7, 8, 9, 1, 2]);
    await expect(session.run({ x: new ort.Tensor('float32', new Float32Array(4), [2, 2]), past: new ort.Tensor('float32', new Float32Array(6), [2, 3]) })).rejects.toThrow();
    await session.release();
  });
});
