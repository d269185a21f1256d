/** Small random-weight models for the quantization tests, built with converter-core's builders. */
import path from 'node:path';
import type { ModelProto, NodeProto, TensorProto } from '@gpux/onnx';
import { createTensor, makeGraph, makeModel, makeNode, makeValueInfo, saveOnnxModel } from '@gpux/onnx';

/** A seeded generator of standard-normal floats. */
export function normalGenerator(seed: number): () => number {
  let state = seed >>> 0;
  const uniform = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

/** A float32 tensor of normal values times `scale`. */
export function randomTensor(name: string, dims: number[], seed: number, scale = 1): TensorProto {
  const next = normalGenerator(seed);
  const count = dims.reduce((product, size) => product * size, 1);
  return createTensor(name, 'float32', dims, Float32Array.from({ length: count }, () => next() * scale));
}

function model(nodes: NodeProto[], inputs: ReturnType<typeof makeValueInfo>[], outputs: ReturnType<typeof makeValueInfo>[], initializer: TensorProto[]): ModelProto {
  return makeModel(makeGraph(nodes, 'quantization-test', inputs, outputs, { initializer }), { opsetImports: [{ domain: '', version: 17 }] });
}

/**
 * MLP: x[batch, 64] -> MatMul fc1 [64, 128] + Add -> Relu -> Gemm fc2 (transB, [10, 128], C) -> logits,
 * plus `extraNodes` to test unsupported cases.
 */
export function buildMlpModel(options: { hidden?: number; inputs?: number; withActivationMatMul?: boolean } = {}): ModelProto {
  const inputs = options.inputs ?? 64;
  const hidden = options.hidden ?? 128;
  const nodes = [
    makeNode('MatMul', ['x', 'fc1.weight'], ['fc1_out'], { name: 'fc1' }),
    makeNode('Add', ['fc1_out', 'fc1.bias'], ['fc1_biased'], { name: 'fc1_add' }),
    makeNode('Relu', ['fc1_biased'], ['relu_out'], { name: 'relu' }),
    makeNode('Gemm', ['relu_out', 'fc2.weight', 'fc2.bias'], ['logits'], { name: 'fc2', attributes: { transB: 1 } }),
  ];
  const outputs = [makeValueInfo('logits', 'float32', ['batch', 10])];
  if (options.withActivationMatMul === true) {
    nodes.push(makeNode('Transpose', ['relu_out'], ['relu_t'], { name: 'transpose', attributes: { perm: [1, 0] } }));
    nodes.push(makeNode('MatMul', ['relu_out', 'relu_t'], ['gram'], { name: 'gram' }));
    outputs.push(makeValueInfo('gram', 'float32', ['batch', 'batch']));
  }
  return model(nodes, [makeValueInfo('x', 'float32', ['batch', inputs])], outputs, [
    randomTensor('fc1.weight', [inputs, hidden], 1, 1 / Math.sqrt(inputs)),
    randomTensor('fc1.bias', [hidden], 2, 0.1),
    randomTensor('fc2.weight', [10, hidden], 3, 1 / Math.sqrt(hidden)),
    randomTensor('fc2.bias', [10], 4, 0.1),
  ]);
}

/** Conv net: x[1, 3, 16, 16] -> Conv conv1 (8, 3x3, bias) -> Relu -> GlobalAveragePool -> Flatten -> MatMul head -> logits. */
export function buildConvModel(): ModelProto {
  return model(
    [
      makeNode('Conv', ['x', 'conv1.weight', 'conv1.bias'], ['conv1_out'], { name: 'conv1', attributes: { pads: [1, 1, 1, 1], kernel_shape: [3, 3] } }),
      makeNode('Relu', ['conv1_out'], ['relu_out'], { name: 'relu' }),
      makeNode('GlobalAveragePool', ['relu_out'], ['pooled'], { name: 'pool' }),
      makeNode('Flatten', ['pooled'], ['flat'], { name: 'flatten' }),
      makeNode('MatMul', ['flat', 'head.weight'], ['logits'], { name: 'head' }),
    ],
    [makeValueInfo('x', 'float32', [1, 3, 16, 16])],
    [makeValueInfo('logits', 'float32', [1, 5])],
    [randomTensor('conv1.weight', [8, 3, 3, 3], 5, 0.3), randomTensor('conv1.bias', [8], 6, 0.1), randomTensor('head.weight', [8, 5], 7, 0.5)],
  );
}

/** Embedding: input_ids[batch, sequence] -> Gather embed [50, 32] -> MatMul proj [32, 16] -> hidden. */
export function buildEmbeddingModel(): ModelProto {
  return model(
    [makeNode('Gather', ['embed.weight', 'input_ids'], ['embedded'], { name: 'embed' }), makeNode('MatMul', ['embedded', 'proj.weight'], ['hidden'], { name: 'proj' })],
    [makeValueInfo('input_ids', 'int64', ['batch', 'sequence'])],
    [makeValueInfo('hidden', 'float32', ['batch', 'sequence', 16])],
    [randomTensor('embed.weight', [50, 32], 8), randomTensor('proj.weight', [32, 16], 9, 0.2)],
  );
}

/**
 * Three MatMuls in a row; the middle one (`sensitive`) has a column 1000x larger than the others,
 * which a Mul with a 0/1 mask then drops. Per-tensor int8 rounds the other columns to zero.
 */
export function buildOutlierModel(): ModelProto {
  const sensitive = randomTensor('sensitive.weight', [32, 32], 11, 0.2);
  const values = new Float32Array(sensitive.rawData!.slice().buffer);
  for (let row = 0; row < 32; row += 1) values[row * 32] = values[row * 32]! * 5000;
  const mask = Float32Array.from({ length: 32 }, (_, index) => (index === 0 ? 0 : 1));
  return model(
    [
      makeNode('MatMul', ['x', 'first.weight'], ['first_out'], { name: 'first' }),
      makeNode('MatMul', ['first_out', 'sensitive.weight'], ['sensitive_out'], { name: 'sensitive' }),
      makeNode('Mul', ['sensitive_out', 'mask'], ['masked'], { name: 'mask_mul' }),
      makeNode('MatMul', ['masked', 'last.weight'], ['logits'], { name: 'last' }),
    ],
    [makeValueInfo('x', 'float32', ['batch', 32])],
    [makeValueInfo('logits', 'float32', ['batch', 12])],
    [randomTensor('first.weight', [32, 32], 10, 0.2), createTensor('sensitive.weight', 'float32', [32, 32], values), createTensor('mask', 'float32', [32], mask), randomTensor('last.weight', [32, 12], 12, 0.2)],
  );
}

/** Saves a model into `directory` under `name` and returns its path. */
export async function saveTestModel(built: ModelProto, directory: string, name: string, externalData: boolean | 'auto' = false): Promise<string> {
  const file = path.join(directory, name);
  await saveOnnxModel(built, file, { externalData, sizeThreshold: 0 });
  return file;
}

/**
 * Tied embeddings as exporters write them: input_ids -> Gather(embed) -> MatMul(hidden, Transpose(embed))
 * -> logits, and a Conv-free bias reached through an Identity node (deduplicated constants).
 */
export function buildTiedEmbeddingModel(): ModelProto {
  return model(
    [
      makeNode('Gather', ['embed.weight', 'input_ids'], ['embedded'], { name: 'embed' }),
      makeNode('Identity', ['bias.source'], ['bias.identity'], { name: 'bias_identity' }),
      makeNode('Gemm', ['flat', 'dense.weight', 'bias.identity'], ['dense_out'], { name: 'dense' }),
      makeNode('Reshape', ['embedded', 'flat_shape'], ['flat'], { name: 'flatten' }),
      makeNode('Reshape', ['dense_out', 'hidden_shape'], ['hidden'], { name: 'unflatten' }),
      makeNode('Transpose', ['embed.weight'], ['embed_t'], { name: 'lm_head_transpose', attributes: { perm: [1, 0] } }),
      makeNode('MatMul', ['hidden', 'embed_t'], ['logits'], { name: 'lm_head' }),
    ],
    [makeValueInfo('input_ids', 'int64', [2, 8])],
    [makeValueInfo('logits', 'float32', [2, 8, 60])],
    [
      randomTensor('embed.weight', [60, 32], 31),
      randomTensor('dense.weight', [32, 32], 32, 0.2),
      randomTensor('bias.source', [32], 33, 0.1),
      createTensor('flat_shape', 'int64', [2], [16, 32]),
      createTensor('hidden_shape', 'int64', [3], [2, 8, 32]),
    ],
  );
}

/** Sizes of {@link buildRecurrentModel}. */
export const RECURRENT_SIZES = { input: 32, hidden: 64 } as const;

/**
 * Two recurrent layers side by side on x[sequence, batch, 32] (ONNX layout 0), hidden 64: a forward
 * one (`forward`) and a bidirectional one (`bidirectional`), each with W, R and B initializers
 * (weights scaled 1/sqrt(hidden), as PyTorch initializes them). `kind` picks LSTM (4 gates) or GRU (3).
 * Outputs: each layer's Y and Y_h.
 */
export function buildRecurrentModel(kind: 'LSTM' | 'GRU'): ModelProto {
  const { input, hidden } = RECURRENT_SIZES;
  const gates = kind === 'LSTM' ? 4 : 3;
  const scale = 1 / Math.sqrt(hidden);
  const layers = [
    { name: 'forward', direction: 'forward', directions: 1, seed: 40 },
    { name: 'bidirectional', direction: 'bidirectional', directions: 2, seed: 50 },
  ];
  const nodes = layers.map((layer) => makeNode(kind, ['x', `${layer.name}.W`, `${layer.name}.R`, `${layer.name}.B`], [`${layer.name}_y`, `${layer.name}_y_h`], { name: layer.name, attributes: { hidden_size: hidden, direction: layer.direction } }));
  const outputs = layers.flatMap((layer) => [makeValueInfo(`${layer.name}_y`, 'float32', ['sequence', layer.directions, 'batch', hidden]), makeValueInfo(`${layer.name}_y_h`, 'float32', [layer.directions, 'batch', hidden])]);
  const initializer = layers.flatMap((layer) => [
    randomTensor(`${layer.name}.W`, [layer.directions, gates * hidden, input], layer.seed, scale),
    randomTensor(`${layer.name}.R`, [layer.directions, gates * hidden, hidden], layer.seed + 1, scale),
    randomTensor(`${layer.name}.B`, [layer.directions, 2 * gates * hidden], layer.seed + 2, scale),
  ]);
  return model(nodes, [makeValueInfo('x', 'float32', ['sequence', 'batch', input])], outputs, initializer);
}
