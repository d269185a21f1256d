/** Test helper: a small MLP with the redundancies the O1 passes remove, with a dynamic batch axis. */
import type { ModelProto } from '@gpux/onnx';
import { createTensor, makeGraph, makeModel, makeNode, makeValueInfo } from '@gpux/onnx';
import { randomFloats } from './run-onnx-model';

/** Options of {@link buildSampleModel}. */
export interface SampleModelOptions {
  /** Hidden width (weights are width x width). @default 16 */
  width?: number;
  irVersion?: number;
}

/**
 * x[batch, width] -> Identity -> MatMul+Add -> Dropout -> Relu -> MatMul (weights transposed by a
 * constant Transpose) + a scale computed from constants -> Identity -> y[batch, width]; plus a dead
 * branch and a duplicated bias. 14 nodes.
 */
export function buildSampleModel(options: SampleModelOptions = {}): ModelProto {
  const width = options.width ?? 16;
  const initializer = [
    createTensor('w1', 'float32', [width, width], randomFloats(width * width, 1).map((value) => value * 0.3)),
    createTensor('w2_t', 'float32', [width, width], randomFloats(width * width, 2).map((value) => value * 0.3)),
    createTensor('b1', 'float32', [width], randomFloats(width, 3)),
    createTensor('b1_copy', 'float32', [width], randomFloats(width, 3)),
    createTensor('two', 'float32', [], [2]),
    createTensor('dead_w', 'float32', [width], randomFloats(width, 4)),
  ];
  const nodes = [
    makeNode('Identity', ['x'], ['x_id'], { name: 'identity_in' }),
    makeNode('MatMul', ['x_id', 'w1'], ['h'], { name: 'matmul1' }),
    makeNode('Add', ['h', 'b1'], ['h_bias'], { name: 'add1' }),
    makeNode('Dropout', ['h_bias'], ['h_drop'], { name: 'dropout' }),
    makeNode('Relu', ['h_drop'], ['h_relu'], { name: 'relu' }),
    makeNode('Transpose', ['w2_t'], ['w2'], { name: 'transpose_w2', attributes: { perm: [1, 0] } }),
    makeNode('MatMul', ['h_relu', 'w2'], ['o'], { name: 'matmul2' }),
    makeNode('Constant', [], ['half'], { name: 'constant_half', attributes: { value: createTensor('half', 'float32', [], [0.5]) } }),
    makeNode('Mul', ['two', 'half'], ['one'], { name: 'mul_constants' }),
    makeNode('Mul', ['o', 'one'], ['o_scaled'], { name: 'scale' }),
    makeNode('Add', ['o_scaled', 'b1_copy'], ['o_bias'], { name: 'add2' }),
    makeNode('Identity', ['o_bias'], ['y'], { name: 'identity_out' }),
    makeNode('Sigmoid', ['x'], ['dead'], { name: 'dead_sigmoid' }),
    makeNode('Mul', ['dead', 'dead_w'], ['dead2'], { name: 'dead_mul' }),
  ];
  return makeModel(makeGraph(nodes, 'sample_mlp', [makeValueInfo('x', 'float32', ['batch', width])], [makeValueInfo('y', 'float32', ['batch', width])], { initializer }), {
    opsetImports: [{ domain: '', version: 17 }],
    irVersion: options.irVersion ?? 9,
  });
}
