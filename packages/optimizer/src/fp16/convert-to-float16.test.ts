import type { ModelProto } from '@gpux/onnx';
import { DataType, createTensor, float16BitsToFloat32, float32ToFloat16Bits, makeGraph, makeModel, makeNode, makeValueInfo } from '@gpux/onnx';
import { countOperators, maxAbsDifference, randomFloats, runOnnxModel } from '../passes/test-support/run-onnx-model';
import { convertToFloat16 } from './convert-to-float16';
import { countCastChains } from './remove-redundant-casts';

const hidden = 8;
const sequence = 5;

/** A one-head attention block with a residual, LayerNormalization, a GELU MLP and a Max (blocked by default). */
function attentionMlpModel(): ModelProto {
  const weight = (name: string, rows: number, columns: number, seed: number): ReturnType<typeof createTensor> =>
    createTensor(name, 'float32', [rows, columns], randomFloats(rows * columns, seed).map((value) => value * 0.5));
  const initializer = [
    weight('wq', hidden, hidden, 1), weight('wk', hidden, hidden, 2), weight('wv', hidden, hidden, 3), weight('w1', hidden, 16, 4), weight('w2', 16, hidden, 5),
    createTensor('b1', 'float32', [16], randomFloats(16, 6)),
    createTensor('gamma', 'float32', [hidden], new Float32Array(hidden).fill(1)),
    createTensor('beta', 'float32', [hidden], new Float32Array(hidden).fill(0)),
    createTensor('tiny', 'float32', [1], [1e-9]),
    createTensor('floor', 'float32', [1], [-0.05]),
    createTensor('sqrt2', 'float32', [], [Math.SQRT2]),
    createTensor('half', 'float32', [], [0.5]),
    createTensor('step', 'int64', [], [2]),
  ];
  const nodes = [
    makeNode('MatMul', ['x', 'wq'], ['q']), makeNode('MatMul', ['x', 'wk'], ['k']), makeNode('MatMul', ['x', 'wv'], ['v']),
    makeNode('Transpose', ['k'], ['kt'], { attributes: { perm: [0, 2, 1] } }),
    makeNode('MatMul', ['q', 'kt'], ['scores']),
    makeNode('Constant', [], ['scale'], { attributes: { value_float: [1 / Math.sqrt(hidden), 'float'] } }),
    makeNode('Mul', ['scores', 'scale'], ['scaled']),
    makeNode('Softmax', ['scaled'], ['probs'], { attributes: { axis: -1 } }),
    makeNode('MatMul', ['probs', 'v'], ['context']),
    makeNode('Add', ['context', 'x'], ['residual']),
    makeNode('LayerNormalization', ['residual', 'gamma', 'beta'], ['normed'], { attributes: { axis: -1 } }),
    makeNode('MatMul', ['normed', 'w1'], ['h1']), makeNode('Add', ['h1', 'b1'], ['h2']),
    makeNode('Div', ['h2', 'sqrt2'], ['h3']), makeNode('Erf', ['h3'], ['h4']),
    makeNode('Cast', ['step'], ['step_float'], { attributes: { to: DataType.FLOAT32 } }),
    makeNode('Add', ['h4', 'step_float'], ['h5']), makeNode('Sub', ['h5', 'step_float'], ['h5b']),
    makeNode('Mul', ['h2', 'h5b'], ['h6']), makeNode('Mul', ['h6', 'half'], ['gelu']),
    makeNode('Add', ['gelu', 'tiny'], ['gelu2']),
    makeNode('Max', ['gelu2', 'floor'], ['clipped'], { name: 'blocked_max' }),
    makeNode('MatMul', ['clipped', 'w2'], ['y']),
  ];
  return makeModel(makeGraph(nodes, 'attention_mlp', [makeValueInfo('x', 'float32', [1, sequence, hidden])], [makeValueInfo('y', 'float32', [1, sequence, hidden]), makeValueInfo('probs', 'float32', [1, sequence, sequence])], {
    initializer, valueInfo: [makeValueInfo('h2', 'float32', [1, sequence, 16])],
  }), { opsetImports: [{ domain: '', version: 17 }] });
}

const feeds = { x: { data: randomFloats(sequence * hidden, 42), dims: [1, sequence, hidden] } };

describe('convertToFloat16', () => {
  test('keeps float32 IO, blocks Max, leaves no Cast chains, matches float32 within fp16 tolerance', async () => {
    const reference = attentionMlpModel();
    const model = attentionMlpModel();
    const report = convertToFloat16(model);
    expect(report.initializersConverted).toBe(11);
    expect(report.valuesClamped).toBe(1);
    expect(report.nodesKeptInFloat32).toEqual([{ name: 'blocked_max', opType: 'Max', reason: 'operator in opBlockList' }]);
    expect(report.castChainsRemaining).toBe(0);
    expect(countCastChains(model.graph!)).toBe(0);
    // Casts: x in, Max in and out, y and probs out, plus the model's own int64 -> float16 Cast.
    expect(countOperators(model).Cast).toBe(6);
    const graph = model.graph!;
    expect(graph.input[0]!.type!.tensorType!.elemType).toBe(DataType.FLOAT32);
    expect(graph.output.map((output) => output.type!.tensorType!.elemType)).toEqual([DataType.FLOAT32, DataType.FLOAT32]);
    expect(graph.initializer.find((tensor) => tensor.name === 'wq')!.dataType).toBe(DataType.FLOAT16);
    expect(graph.initializer.find((tensor) => tensor.name === 'tiny')!.dataType).toBe(DataType.FLOAT16);
    expect(graph.valueInfo.find((value) => value.name === 'h2')!.type!.tensorType!.elemType).toBe(DataType.FLOAT16);
    const producers = new Map(graph.node.flatMap((node) => node.output.map((output) => [output, node] as const)));
    const max = graph.node.find((node) => node.name === 'blocked_max')!;
    expect(max.input.map((name) => producers.get(name)?.opType)).toEqual(['Cast', undefined]);
    expect(graph.initializer.find((tensor) => tensor.name === 'floor')!.dataType).toBe(DataType.FLOAT32);
    const expected = await runOnnxModel(reference, feeds);
    const actual = await runOnnxModel(model, feeds);
    expect(actual.y!.type).toBe('float32');
    expect(maxAbsDifference(actual.y!.values, expected.y!.values)).toBeLessThan(2e-2);
    expect(maxAbsDifference(actual.probs!.values, expected.probs!.values)).toBeLessThan(5e-3);
    expect(maxAbsDifference(actual.y!.values, expected.y!.values)).toBeGreaterThan(0);
  });

  test('keepIoTypes: false gives float16 inputs and outputs without boundary Casts', async () => {
    const model = attentionMlpModel();
    const report = convertToFloat16(model, { keepIoTypes: false, opBlockList: [] });
    expect(report.nodesKeptInFloat32).toEqual([]);
    expect(countOperators(model).Cast).toBe(1);
    expect(model.graph!.input[0]!.type!.tensorType!.elemType).toBe(DataType.FLOAT16);
    const expected = await runOnnxModel(attentionMlpModel(), feeds);
    const actual = await runOnnxModel(model, { x: { type: 'float16', data: Uint16Array.from(feeds.x.data, float32ToFloat16Bits), dims: feeds.x.dims } });
    expect(actual.y!.type).toBe('float16');
    const decoded = actual.y!.values.map(float16BitsToFloat32);
    expect(maxAbsDifference(decoded, expected.y!.values)).toBeLessThan(2e-2);
  });

  test('nodeBlockList keeps named nodes in float32 with Casts only at the region boundary', async () => {
    const model = makeModel(makeGraph([
      makeNode('Relu', ['x'], ['a'], { name: 'first' }),
      makeNode('Neg', ['a'], ['b'], { name: 'kept' }),
      makeNode('Abs', ['b'], ['y'], { name: 'last' }),
    ], 'chain', [makeValueInfo('x', 'float32', [4])], [makeValueInfo('y', 'float32', [4])]));
    const report = convertToFloat16(model, { nodeBlockList: ['kept', 'first'] });
    expect(report.nodesKeptInFloat32.map((node) => node.name)).toEqual(['first', 'kept']);
    expect(countOperators(model)).toEqual({ Relu: 1, Neg: 1, Abs: 1, Cast: 2 });
    const output = await runOnnxModel(model, { x: { data: new Float32Array([1, -2, 3.5, -4]), dims: [4] } });
    expect(output.y!.values).toEqual([1, 0, 3.5, 0]);
  });

  test('collapses the model\'s own Cast chain together with inserted Casts', async () => {
    const model = makeModel(makeGraph([
      makeNode('Cast', ['x'], ['x16'], { attributes: { to: DataType.FLOAT16 } }),
      makeNode('Cast', ['x16'], ['x32'], { attributes: { to: DataType.FLOAT32 } }),
      makeNode('Relu', ['x32'], ['y']),
    ], 'casts', [makeValueInfo('x', 'float32', [4])], [makeValueInfo('y', 'float32', [4])]));
    expect(countCastChains(model.graph!)).toBe(1);
    const report = convertToFloat16(model);
    expect(report.castsRemoved).toBe(2);
    expect(countCastChains(model.graph!)).toBe(0);
    expect(model.graph!.node.map((node) => node.opType)).toEqual(['Cast', 'Relu', 'Cast']);
    const output = await runOnnxModel(model, { x: { data: new Float32Array([1, -2, 0.1, -4]), dims: [4] } });
    expect(output.y!.values[2]).toBeCloseTo(0.1, 3);
    expect(output.y!.values.slice(0, 2)).toEqual([1, 0]);
  });

  test('rejects bad clamp values by name', () => {
    expect(() => convertToFloat16(attentionMlpModel(), { maxFiniteValue: 1e6 })).toThrow(/maxFiniteValue/);
  });
});
