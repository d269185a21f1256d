import type { ModelProto } from '@gpux/onnx';
import { createTensor, makeAttribute, makeGraph, makeModel, makeNode, makeValueInfo } from '@gpux/onnx';
import { deduplicateInitializers } from './deduplicate-initializers';
import { eliminateDropout } from './eliminate-dropout';
import { eliminateIdentity } from './eliminate-identity';
import { foldConstants } from './fold-constants';
import { optimizeGraph, summarizePassReports } from './optimize-graph';
import { removeUnusedNodes } from './remove-unused-nodes';
import { sortNodesTopologically } from './sort-nodes-topologically';
import { countOperators, maxAbsDifference, randomFloats, runOnnxModel } from './test-support/run-onnx-model';

const x = { data: randomFloats(2 * 4, 3), dims: [2, 4] };

async function expectSameOutputs(before: ModelProto, after: ModelProto, feeds: Parameters<typeof runOnnxModel>[1]): Promise<void> {
  const expected = await runOnnxModel(before, feeds);
  const actual = await runOnnxModel(after, feeds);
  expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
  for (const [name, output] of Object.entries(expected)) {
    expect(actual[name]!.dims).toEqual(output.dims);
    expect(maxAbsDifference(actual[name]!.values, output.values)).toBeLessThanOrEqual(1e-6);
  }
}

const clone = (model: ModelProto): ModelProto => structuredClone(model);

function identityChainModel(): ModelProto {
  const weights = createTensor('w', 'float32', [4, 3], randomFloats(12, 5));
  const nodes = [
    makeNode('Identity', ['x'], ['x1'], { name: 'id0' }),
    makeNode('Identity', ['x1'], ['x2'], { name: 'id1' }),
    makeNode('MatMul', ['x2', 'w'], ['h'], { name: 'matmul' }),
    makeNode('Identity', ['h'], ['h1'], { name: 'id2' }),
    makeNode('Relu', ['h1'], ['r'], { name: 'relu' }),
    makeNode('Identity', ['r'], ['y'], { name: 'id_out' }),
    makeNode('Identity', ['x'], ['x_copy'], { name: 'id_input_to_output' }),
  ];
  return makeModel(makeGraph(nodes, 'identities', [makeValueInfo('x', 'float32', [2, 4])], [makeValueInfo('y', 'float32', [2, 3]), makeValueInfo('x_copy', 'float32', [2, 4])], { initializer: [weights], valueInfo: [makeValueInfo('h1', 'float32', [2, 3])] }));
}

describe('graph passes', () => {
  test('eliminateIdentity removes chains, keeps output names and an input-to-output copy', async () => {
    const model = identityChainModel();
    const original = clone(model);
    const report = eliminateIdentity(model);
    expect(report).toMatchObject({ pass: 'eliminate-identity', changed: true, counts: { identitiesRemoved: 4 } });
    expect(countOperators(model)).toEqual({ MatMul: 1, Relu: 1, Identity: 1 });
    expect(model.graph!.output.map((output) => output.name)).toEqual(['y', 'x_copy']);
    expect(model.graph!.node.find((node) => node.opType === 'Relu')!.output).toEqual(['y']);
    expect(model.graph!.node.find((node) => node.opType === 'MatMul')!.input).toEqual(['x', 'w']);
    await expectSameOutputs(original, model, { x });
  });

  test('eliminateDropout removes inference Dropout and keeps one whose mask is used', async () => {
    const ratio = createTensor('ratio', 'float32', [], [0.5]);
    const nodes = [
      makeNode('Dropout', ['x', 'ratio'], ['d'], { name: 'dropout' }),
      makeNode('Dropout', ['d'], ['d2', 'mask'], { name: 'dropout_mask' }),
      makeNode('Cast', ['mask'], ['mask_float'], { attributes: { to: 1 } }),
      makeNode('Add', ['d2', 'mask_float'], ['y']),
      makeNode('Dropout', ['x'], ['z', ''], { name: 'dropout_to_output' }),
    ];
    const model = makeModel(makeGraph(nodes, 'dropouts', [makeValueInfo('x', 'float32', [2, 4])], [makeValueInfo('y', 'float32', [2, 4]), makeValueInfo('z', 'float32', [2, 4])], { initializer: [ratio] }));
    const original = clone(model);
    const report = eliminateDropout(model);
    expect(report.counts.dropoutsRemoved).toBe(1);
    expect(report.notes[0]).toContain('Kept 2 Dropout');
    expect(countOperators(model).Dropout).toBe(2);
    await expectSameOutputs(original, model, { x });
  });

  test('foldConstants folds a constant subgraph and Shape of a static input', async () => {
    const nodes = [
      makeNode('Constant', [], ['c'], { attributes: { value: createTensor('c', 'float32', [4], [1, 2, 3, 4]) } }),
      makeNode('Constant', [], ['two'], { attributes: { value_float: [2, 'float'] } }),
      makeNode('Mul', ['c', 'two_b'], ['c2']),
      makeNode('Cast', ['two'], ['two_b'], { attributes: { to: 1 } }),
      makeNode('Shape', ['x'], ['x_shape']),
      makeNode('Gather', ['x_shape', 'zero'], ['batch'], { attributes: { axis: 0 } }),
      makeNode('Unsqueeze', ['batch', 'axes0'], ['batch_1d']),
      makeNode('Concat', ['batch_1d', 'minus_one'], ['new_shape'], { attributes: { axis: 0 } }),
      makeNode('Reshape', ['x', 'new_shape'], ['x_flat']),
      makeNode('Transpose', ['w'], ['w_t'], { attributes: { perm: [1, 0] } }),
      makeNode('MatMul', ['x_flat', 'w_t'], ['h']),
      makeNode('Range', ['r_start', 'r_limit', 'r_delta'], ['steps']),
      makeNode('Cast', ['steps'], ['steps_f'], { attributes: { to: 1 } }),
      makeNode('Slice', ['steps_f', 'zero_1d', 'three_1d'], ['steps_3']),
      makeNode('Add', ['h', 'steps_3'], ['h2']),
      makeNode('Add', ['h2', 'c2_slice'], ['y']),
      makeNode('Slice', ['c2', 'zero_1d', 'three_1d'], ['c2_slice']),
      makeNode('ConstantOfShape', ['three_1d'], ['ones'], { attributes: { value: createTensor('v', 'float32', [1], [1]) } }),
      makeNode('Sub', ['y', 'ones'], ['y2']),
      makeNode('Squeeze', ['y2_un', 'axes0'], ['out']),
      makeNode('Unsqueeze', ['y2', 'axes0'], ['y2_un']),
    ];
    const initializer = [
      createTensor('zero', 'int64', [], [0]),
      createTensor('zero_1d', 'int64', [1], [0]),
      createTensor('three_1d', 'int64', [1], [3]),
      createTensor('axes0', 'int64', [1], [0]),
      createTensor('minus_one', 'int64', [1], [-1]),
      createTensor('w', 'float32', [3, 4], randomFloats(12, 9)),
      createTensor('r_start', 'int64', [], [1]),
      createTensor('r_limit', 'int64', [], [10]),
      createTensor('r_delta', 'int64', [], [3]),
    ];
    const model = makeModel(makeGraph(nodes, 'constants', [makeValueInfo('x', 'float32', [2, 4])], [makeValueInfo('out', 'float32', [2, 3])], { initializer }), { opsetImports: [{ domain: '', version: 17 }] });
    sortNodesTopologically(model);
    const original = clone(model);
    const report = foldConstants(model);
    // Everything except Reshape(x), MatMul, the Adds and Sub on x's path, Unsqueeze/Squeeze of y2 folds.
    expect(countOperators(model)).toEqual({ Reshape: 1, MatMul: 1, Add: 2, Sub: 1, Unsqueeze: 1, Squeeze: 1 });
    expect(report.counts.nodesFolded).toBe(14);
    const removal = removeUnusedNodes(model);
    expect(removal.counts.initializersRemoved).toBeGreaterThan(5);
    const shape = model.graph!.initializer.find((tensor) => tensor.name === 'new_shape')!;
    expect(Array.from(new BigInt64Array(shape.rawData!.slice().buffer), Number)).toEqual([2, -1]);
    await expectSameOutputs(original, model, { x });
  });

  test('foldConstants does not store a transposed copy of a large weight that another node also reads (tied embeddings)', async () => {
    // 128 x 256 float32 = 128 KiB, read by a Gather (embedding) and by Transpose -> MatMul (the tied head).
    const table = createTensor('table', 'float32', [128, 256], randomFloats(128 * 256, 11));
    const small = createTensor('small', 'float32', [4, 8], randomFloats(32, 12));
    const nodes = [
      makeNode('Gather', ['table', 'ids'], ['embedded'], { attributes: { axis: 0 } }),
      makeNode('Transpose', ['table'], ['table_t'], { attributes: { perm: [1, 0] } }),
      makeNode('MatMul', ['embedded', 'table_t'], ['logits']),
      // A small shared weight still folds: the copy costs little.
      makeNode('Transpose', ['small'], ['small_t'], { attributes: { perm: [1, 0] } }),
      makeNode('MatMul', ['features', 'small'], ['h']),
      makeNode('MatMul', ['h', 'small_t'], ['projected']),
    ];
    const model = makeModel(
      makeGraph(nodes, 'tied', [makeValueInfo('ids', 'int64', [2]), makeValueInfo('features', 'float32', [3, 4])], [makeValueInfo('logits', 'float32', [2, 128]), makeValueInfo('projected', 'float32', [3, 4])], { initializer: [table, small] }),
      { opsetImports: [{ domain: '', version: 17 }] },
    );
    const original = clone(model);
    const report = foldConstants(model);
    expect(report.counts.nodesFolded).toBe(1);
    expect(countOperators(model).Transpose).toBe(1);
    expect(model.graph!.node.find((node) => node.opType === 'Transpose')!.input).toEqual(['table']);
    expect(report.notes).toContain('Kept 1 node(s) unfolded whose result would duplicate a weight that other nodes also read.');
    await expectSameOutputs(original, model, { ids: { type: 'int64', data: BigInt64Array.from([3n, 77n]), dims: [2] }, features: { data: randomFloats(12, 13), dims: [3, 4] } });
  });

  test('removeUnusedNodes drops a dead branch and initializer-backed inputs, keeps real inputs', async () => {
    const nodes = [
      makeNode('Relu', ['x'], ['y']),
      makeNode('Sigmoid', ['x'], ['dead1']),
      makeNode('Mul', ['dead1', 'dead_w'], ['dead2']),
    ];
    const model = makeModel(
      makeGraph(nodes, 'dead', [makeValueInfo('x', 'float32', [2, 4]), makeValueInfo('unused', 'float32', [1]), makeValueInfo('dead_w', 'float32', [4])], [makeValueInfo('y', 'float32', [2, 4])], {
        initializer: [createTensor('dead_w', 'float32', [4], [1, 2, 3, 4]), createTensor('orphan', 'float32', [1], [1])],
        valueInfo: [makeValueInfo('dead1', 'float32', [2, 4])],
      }),
    );
    const original = clone(model);
    const report = removeUnusedNodes(model);
    expect(report.counts).toEqual({ nodesRemoved: 2, initializersRemoved: 2, inputsRemoved: 1, valueInfoRemoved: 1 });
    expect(model.graph!.input.map((input) => input.name)).toEqual(['x', 'unused']);
    expect(report.notes[0]).toContain('unused');
    await expectSameOutputs(original, model, { x, unused: { data: new Float32Array([0]), dims: [1] } });
    expect(removeUnusedNodes(model, { removeUnusedInputs: true }).counts.inputsRemoved).toBe(1);
  });

  test('deduplicateInitializers merges identical tensors only', async () => {
    const values = randomFloats(4, 11);
    const nodes = [makeNode('Add', ['x', 'a'], ['s1']), makeNode('Add', ['s1', 'b'], ['s2']), makeNode('Mul', ['s2', 'c'], ['y'])];
    const initializer = [createTensor('a', 'float32', [4], values), createTensor('b', 'float32', [4], values), createTensor('c', 'float32', [1, 4], values)];
    const model = makeModel(makeGraph(nodes, 'dedupe', [makeValueInfo('x', 'float32', [2, 4])], [makeValueInfo('y', 'float32', [2, 4])], { initializer }));
    const original = clone(model);
    const report = deduplicateInitializers(model);
    expect(report.counts).toEqual({ initializersMerged: 1, bytesSaved: 16 });
    expect(model.graph!.initializer.map((tensor) => tensor.name)).toEqual(['a', 'c']);
    expect(model.graph!.node[1]!.input).toEqual(['s1', 'a']);
    await expectSameOutputs(original, model, { x });
  });

  test('optimizeGraph runs to a fixpoint and keeps names used by an If body', async () => {
    const thenBranch = makeGraph([makeNode('Add', ['x', 'outer_w'], ['then_out'])], 'then', [], [makeValueInfo('then_out', 'float32', [2, 4])]);
    const elseBranch = makeGraph([makeNode('Identity', ['x'], ['else_out'])], 'else', [], [makeValueInfo('else_out', 'float32', [2, 4])]);
    const ifNode = makeNode('If', ['flag'], ['branch'], { name: 'if' });
    ifNode.attribute.push(makeAttribute('then_branch', thenBranch), makeAttribute('else_branch', elseBranch));
    const nodes = [
      makeNode('Identity', ['w_src'], ['outer_w']),
      makeNode('Dropout', ['branch'], ['dropped']),
      makeNode('Identity', ['dropped'], ['y']),
      makeNode('Neg', ['x'], ['dead']),
    ];
    const model = makeModel(
      makeGraph([...nodes.slice(0, 1), ifNode, ...nodes.slice(1)], 'with_if', [makeValueInfo('x', 'float32', [2, 4]), makeValueInfo('flag', 'bool', [])], [makeValueInfo('y', 'float32', [2, 4])], {
        initializer: [createTensor('w_src', 'float32', [4], [1, 2, 3, 4]), createTensor('w_dup', 'float32', [4], [1, 2, 3, 4])],
      }),
    );
    const original = clone(model);
    const result = optimizeGraph(model);
    expect(result.converged).toBe(true);
    expect(countOperators(model)).toEqual({ If: 1 });
    const totals = summarizePassReports(result.reports);
    expect(totals['eliminate-identity.identitiesRemoved']).toBe(2);
    expect(totals['eliminate-dropout.dropoutsRemoved']).toBe(1);
    expect(model.graph!.initializer.map((tensor) => tensor.name)).toEqual(['w_src']);
    expect(thenBranch.node[0]!.input).toEqual(['x', 'w_src']);
    for (const flag of [0, 1]) await expectSameOutputs(original, model, { x, flag: { type: 'bool', data: new Uint8Array([flag]), dims: [] } });
  });

  test('optimizeGraph rejects bad options by name', () => {
    expect(() => optimizeGraph(identityChainModel(), { maxIterations: 0 })).toThrow(/maxIterations/);
    expect(() => optimizeGraph(identityChainModel(), { passes: ['nope' as never] })).toThrow(/passes/);
    expect(() => optimizeGraph({} as ModelProto)).toThrow(TypeError);
  });
});
