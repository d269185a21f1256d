import {
  AttributeType,
  OnnxError,
  DataType,
  buildTensorUsage,
  createTensor,
  dataTypeFromName,
  dataTypeName,
  float16BitsToFloat32,
  float32ToFloat16Bits,
  getAttributeValue,
  getIntAttribute,
  getStringAttribute,
  loadOnnxModelFromBuffer,
  makeGraph,
  makeNode,
  makeValueInfo,
  removeAttribute,
  serializeOnnxModel,
  setAttribute,
  makeModel,
  tensorToTypedArray,
  topologicalSort,
} from './index';
import type { TensorTypedArray } from './index';

function chainGraph(): ReturnType<typeof makeGraph> {
  const then = makeGraph([makeNode('Identity', ['b'], ['branch'])], 'then', [], [makeValueInfo('branch', 'float32')]);
  const otherwise = makeGraph([makeNode('Neg', ['a'], ['branch'])], 'else', [], [makeValueInfo('branch', 'float32')]);
  return makeGraph(
    [
      makeNode('If', ['flag'], ['c'], { name: 'if', attributes: { then_branch: then, else_branch: otherwise } }),
      makeNode('Relu', ['a'], ['b'], { name: 'relu' }),
      makeNode('Abs', ['x'], ['a'], { name: 'abs' }),
      makeNode('Add', ['c', 'a'], ['y'], { name: 'add' }),
    ],
    'chain',
    [makeValueInfo('x', 'float32', [2]), makeValueInfo('flag', 'bool', [])],
    [makeValueInfo('y', 'float32', [2])],
  );
}

/** A tensor's values as a plain array (numbers, or bigints for 64-bit integer types). */
function valuesOf(values: TensorTypedArray): Array<number | bigint> {
  return Array.from(values as ArrayLike<number | bigint>);
}

describe('ONNX graph helpers', () => {
  it('sorts nodes topologically, counting names read inside subgraphs', () => {
    const order = topologicalSort(chainGraph()).map((node) => node.name);
    expect(order).toEqual(['abs', 'relu', 'if', 'add']);
  });

  it('reports a cycle as INVALID_MODEL_FILE', () => {
    const graph = makeGraph([makeNode('Relu', ['q'], ['p'], { name: 'first' }), makeNode('Relu', ['p'], ['q'], { name: 'second' })], 'loop', [], []);
    let caught: unknown;
    try {
      topologicalSort(graph);
    } catch (error) {
      caught = error;
    }
    expect(OnnxError.hasCode(caught, 'INVALID_MODEL_FILE')).toBe(true);
    expect((caught as Error).message).toContain('first, second');
  });

  it('maps producers and consumers, with the If node consuming its branches outer names', () => {
    const usage = buildTensorUsage(chainGraph());
    expect(usage.producers.get('a')?.name).toBe('abs');
    expect(usage.consumers.get('a')?.map((node) => node.name)).toEqual(['if', 'relu', 'add']);
    expect(usage.consumers.get('b')?.map((node) => node.name)).toEqual(['if']);
    expect(usage.producers.has('x')).toBe(false);
    expect([...usage.graphOutputs]).toEqual(['y']);
  });

  it('gets, sets and removes attributes, and they survive serialization', () => {
    const node = makeNode('Gemm', ['a', 'b'], ['c'], { attributes: { transB: 1, alpha: [1, 'float'], mode: 'fast', big: 2n ** 62n } });
    expect(node.attribute.map((attribute) => attribute.type)).toEqual([AttributeType.INT, AttributeType.FLOAT, AttributeType.STRING, AttributeType.INT]);
    setAttribute(node, 'transB', 0);
    setAttribute(node, 'beta', 0.5);
    expect(removeAttribute(node, 'mode')).toBe(true);
    expect(removeAttribute(node, 'mode')).toBe(false);
    const model = makeModel(makeGraph([node], 'g', [], []));
    const reloaded = loadOnnxModelFromBuffer(serializeOnnxModel(model)).graph!.node[0]!;
    expect(getIntAttribute(reloaded, 'transB')).toBe(0);
    expect(getAttributeValue(reloaded, 'alpha')).toBe(1);
    expect(getAttributeValue(reloaded, 'beta')).toBe(0.5);
    expect(getAttributeValue(reloaded, 'big')).toBe(2n ** 62n);
    expect(getStringAttribute(reloaded, 'mode', 'none')).toBe('none');
    expect(getIntAttribute(reloaded, 'axis', -1)).toBe(-1);
  });

  it('maps data types both ways, unknown numbers included', () => {
    expect(dataTypeName(DataType.FLOAT16)).toBe('float16');
    expect(dataTypeFromName('bfloat16')).toBe(16);
    expect(dataTypeFromName('float')).toBe(1);
    expect(dataTypeName(42)).toBe('unknown(42)');
    expect(() => dataTypeFromName('float128')).toThrow(RangeError);
  });

  it('creates tensors and reads them back through raw_data at odd offsets and typed fields', () => {
    const cases = [
      createTensor('f16', 'float16', [3], [1.5, -2, 65504]),
      createTensor('bf16', 'bfloat16', [2], [1.5, -3]),
      createTensor('i64', 'int64', [2], [2n ** 62n, -5n]),
      createTensor('f64', 'float64', [2], [0.1, -0.2]),
    ];
    const model = makeModel(makeGraph([], 'g', [], [], { initializer: cases }));
    const bytes = serializeOnnxModel(model);
    const shifted = new Uint8Array(bytes.byteLength + 1).subarray(1); // odd byteOffset for every view
    shifted.set(bytes);
    const [f16, bf16, i64, f64] = loadOnnxModelFromBuffer(shifted).graph!.initializer;
    expect(valuesOf(tensorToTypedArray(f16!))).toEqual([1.5, -2, 65504]);
    expect(valuesOf(tensorToTypedArray(f16!, { halfPrecision: 'bits' }))).toEqual([0x3e00, 0xc000, 0x7bff]);
    expect(valuesOf(tensorToTypedArray(bf16!))).toEqual([1.5, -3]);
    expect(valuesOf(tensorToTypedArray(i64!))).toEqual([2n ** 62n, -5n]);
    expect(valuesOf(tensorToTypedArray(f64!))).toEqual([0.1, -0.2]);
    const typedFields = { ...createTensor('ints', 'int64', [0], []), dims: [2], rawData: undefined, int64Data: BigInt64Array.from([7n, -8n]) };
    expect(valuesOf(tensorToTypedArray(typedFields))).toEqual([7n, -8n]);
    expect(float16BitsToFloat32(float32ToFloat16Bits(0.1))).toBeCloseTo(0.1, 3);
    expect(float32ToFloat16Bits(1e6)).toBe(0x7c00);
    expect(() => createTensor('bad', 'float32', [2], [1])).toThrow(RangeError);
  });
});
