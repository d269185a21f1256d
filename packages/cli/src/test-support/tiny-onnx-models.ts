import { createTensor, makeGraph, makeModel, makeNode, makeValueInfo, saveOnnxModel } from '@gpux/onnx';

/**
 * Writes a tiny ONNX model, y = a two-layer MLP of x[batch,64] (MatMul, Add, Relu, MatMul), with weights
 * from `seed`: an ONNX source needs no Python, so a conversion of it (with variants) takes about a
 * second. Test helper.
 */
export async function writeTinyOnnxModel(file: string, seed = 0): Promise<void> {
  const values = (count: number, offset: number) => Float32Array.from({ length: count }, (_, index) => Math.sin(index * 0.37 + seed + offset) * 0.1);
  const graph = makeGraph(
    [makeNode('MatMul', ['x', 'w1'], ['h']), makeNode('Add', ['h', 'b1'], ['hb']), makeNode('Relu', ['hb'], ['r']), makeNode('MatMul', ['r', 'w2'], ['y'])],
    'tiny',
    [makeValueInfo('x', 'float32', ['batch', 64])],
    [makeValueInfo('y', 'float32', ['batch', 16])],
    {
      initializer: [
        createTensor('w1', 'float32', [64, 128], values(64 * 128, 1)),
        createTensor('b1', 'float32', [128], values(128, 2)),
        createTensor('w2', 'float32', [128, 16], values(128 * 16, 3)),
      ],
    },
  );
  await saveOnnxModel(makeModel(graph, { opsetImports: [{ domain: '', version: 17 }] }), file);
}
