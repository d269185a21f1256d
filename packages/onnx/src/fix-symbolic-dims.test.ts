import { checkStaticShapes, fixSymbolicDims, parseStaticShapes } from './fix-symbolic-dims';
import { makeGraph, makeModel, makeNode, makeValueInfo } from './make-node';
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

describe('parseStaticShapes', () => {
  it('parses name=size lists and refuses anything else', () => {
    expect(parseStaticShapes('batch_size=1, sequence_length=128')).toEqual({ batch_size: 1, sequence_length: 128 });
    expect(() => parseStaticShapes('batch_size')).toThrow(RangeError);
    expect(() => parseStaticShapes('batch_size=0')).toThrow('positive integer');
    expect(() => parseStaticShapes('')).toThrow('at least one');
  });
});
