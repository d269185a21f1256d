import type { ModelProto } from '@gpux/onnx';
import { createTensor, getIntAttribute, makeGraph, makeModel, makeNode, makeValueInfo, sortGraphTopologically } from '@gpux/onnx';
import { removeUnusedNodes } from '../passes/remove-unused-nodes';
import { countOperators, maxAbsDifference, randomFloats, runOnnxModel } from '../passes/test-support/run-onnx-model';
import { foldShapeComputations } from './fold-shape-computations';
import { FusionGraph } from './fusion-graph';

const int64 = (name: string, values: number[], dims: number[] = [values.length]) => createTensor(name, 'int64', dims, values);

/**
 * What the TorchScript exporter writes for GPT-2's Conv1D (`x.view(-1, x.size(-1))`, addmm,
 * `x.view(x.size()[:-1] + (nf,))`), twice, on an input [batch, sequence, 8].
 */
function conv1dChainModel(): ModelProto {
  const nodes = [];
  let current = 'x';
  const widths = [8, 6, 4];
  const initializers = [int64('minus_one', [-1]), int64('last', [-1]), int64('end', [2 ** 62]), int64('axis0', [0]), int64('zero', [0], []), int64('one', [1], [])];
  for (let layer = 0; layer < 2; layer += 1) {
    const [k, n] = [widths[layer]!, widths[layer + 1]!];
    const p = `l${layer}_`;
    initializers.push(createTensor(`${p}w`, 'float32', [k, n], randomFloats(k * n, layer + 3)), createTensor(`${p}b`, 'float32', [n], randomFloats(n, layer + 7)), int64(`${p}n`, [n]));
    nodes.push(
      makeNode('Shape', [current], [`${p}shape`]),
      makeNode('Slice', [`${p}shape`, 'last', 'end', 'axis0'], [`${p}last_dim`]),
      makeNode('Squeeze', [`${p}last_dim`, 'axis0'], [`${p}k`]),
      makeNode('Unsqueeze', [`${p}k`, 'axis0'], [`${p}k1`]),
      makeNode('Concat', ['minus_one', `${p}k1`], [`${p}flat_shape`], { attributes: { axis: 0 } }),
      makeNode('Reshape', [current, `${p}flat_shape`], [`${p}flat`]),
      makeNode('Gemm', [`${p}flat`, `${p}w`, `${p}b`], [`${p}gemm`]),
      makeNode('Shape', [current], [`${p}shape2`]),
      makeNode('Gather', [`${p}shape2`, 'zero'], [`${p}batch`], { attributes: { axis: 0 } }),
      makeNode('Gather', [`${p}shape2`, 'one'], [`${p}sequence`], { attributes: { axis: 0 } }),
      makeNode('Unsqueeze', [`${p}batch`, 'axis0'], [`${p}batch1`]),
      makeNode('Unsqueeze', [`${p}sequence`, 'axis0'], [`${p}sequence1`]),
      makeNode('Concat', [`${p}batch1`, `${p}sequence1`, `${p}n`], [`${p}out_shape`], { attributes: { axis: 0 } }),
      makeNode('Reshape', [`${p}gemm`, `${p}out_shape`], [`${p}out`]),
      makeNode('Relu', [`${p}out`], [`${p}relu`]),
    );
    current = `${p}relu`;
  }
  nodes.push(makeNode('Identity', [current], ['y']));
  return makeModel(
    makeGraph(nodes, 'conv1d', [makeValueInfo('x', 'float32', ['batch', 'sequence', 8])], [makeValueInfo('y', 'float32', ['batch', 'sequence', 4])], {
      initializer: initializers,
    }),
    { opsetImports: [{ domain: '', version: 18 }] },
  );
}

async function expectSameOutputs(before: ModelProto, after: ModelProto): Promise<void> {
  for (const [batch, sequence] of [
    [2, 5],
    [3, 1],
  ] as const) {
    const feeds = { x: { data: randomFloats(batch * sequence * 8, batch + sequence), dims: [batch, sequence, 8] } };
    const expected = await runOnnxModel(before, feeds);
    const actual = await runOnnxModel(after, feeds);
    expect(actual.y!.dims).toEqual([batch, sequence, 4]);
    expect(maxAbsDifference(actual.y!.values, expected.y!.values)).toBe(0);
  }
}

describe('foldShapeComputations', () => {
  test('folds the flatten shape to a constant and the unflatten shapes to one shared slice of the input shape', async () => {
    const model = conv1dChainModel();
    const original = structuredClone(model);
    const graph = new FusionGraph(model);
    expect(foldShapeComputations(graph, 18)).toBe(4);
    removeUnusedNodes(model);
    expect(countOperators(model)).toEqual({ Reshape: 4, Gemm: 2, Relu: 2, Identity: 1, Shape: 1, Concat: 2 });
    const shape = model.graph!.node.find((node) => node.opType === 'Shape')!;
    expect(shape.input).toEqual(['x']);
    expect([getIntAttribute(shape, 'start'), getIntAttribute(shape, 'end')]).toEqual([0, 2]);
    const flatten = model.graph!.node.filter((node) => node.opType === 'Reshape' && node.input[0] !== undefined && !node.input[0].endsWith('gemm'));
    const flatShapes = flatten.map((node) => model.graph!.initializer.find((tensor) => tensor.name === node.input[1]));
    expect(flatShapes.map((tensor) => tensor?.dims)).toEqual([[2], [2]]);
    // The new Shape/Concat nodes were appended: the caller sorts the graph before it runs.
    sortGraphTopologically(model.graph!);
    await expectSameOutputs(original, model);
  });

  test('leaves a Reshape alone when its target comes from a value it cannot follow', () => {
    const nodes = [
      makeNode('NonZero', ['mask'], ['where']),
      makeNode('Shape', ['where'], ['where_shape']),
      makeNode('Reshape', ['x', 'where_shape'], ['y']),
    ];
    const model = makeModel(
      makeGraph(nodes, 'opaque', [makeValueInfo('x', 'float32', ['n', 3]), makeValueInfo('mask', 'bool', [4])], [makeValueInfo('y', 'float32')]),
      { opsetImports: [{ domain: '', version: 18 }] },
    );
    const before = structuredClone(model);
    expect(foldShapeComputations(new FusionGraph(model), 18)).toBe(0);
    expect(model).toEqual(before);
  });

  test('below opset 15 only constant targets are written (Shape has no start/end there)', () => {
    const model = conv1dChainModel();
    model.opsetImport = [{ domain: '', version: 13 }];
    const graph = new FusionGraph(model);
    // The two flatten shapes become constants; the two unflatten shapes need Shape(x, 0, 2).
    expect(foldShapeComputations(graph, 13)).toBe(2);
    expect(model.graph!.node.filter((node) => node.opType === 'Shape' && getIntAttribute(node, 'end') !== undefined)).toHaveLength(0);
  });
});
