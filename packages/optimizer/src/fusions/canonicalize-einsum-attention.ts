/**
 * Rewrites attention written as lowered einsums (Keras 3 `MultiHeadAttention` through tf2onnx, whose
 * einsum optimizer turns `aecd,abcd->acbe` and `acbe,aecd->abcd` into 3-D MatMuls wrapped in
 * Unsqueeze/Transpose/Reshape/Squeeze chains with computed shapes) into the layout the attention
 * matcher knows: `MatMul(Transpose[0,2,1,3](q), Transpose[0,2,3,1](k))` for the scores and
 * `Transpose[0,2,1,3](MatMul(probabilities, Transpose[0,2,1,3](v)))` for the context, where q, k, v
 * are the [batch, sequence, heads, headSize] head splits.
 *
 * Which axes a chain moves where is not read off the ops one by one: the chain is *probed*. The
 * candidate roots get small random tensors (batch 2), the chain is evaluated with the constant
 * evaluators, and the result must equal the einsum computed directly, else nothing is rewritten.
 * The old chains lose their readers and are removed by the caller.
 */
import type { NodeProto } from '@gpux/onnx';
import { DataType, getFloatAttribute, getIntAttribute, getIntsAttribute } from '@gpux/onnx';
import { CONSTANT_EVALUATORS } from '../passes/constant-evaluators';
import { constantNumbers, int64Constant, type ConstantTensor } from '../passes/constant-tensor';
import { shapePieces } from './attention-projections';
import { inferSymbolicShapes, sameShape, type SymbolicDim } from './fold-shape-computations';
import type { FusionGraph } from './fusion-graph';
import { matchAttention } from './match-attention';

const LAYOUT_OPS = new Set(['Reshape', 'Transpose', 'Unsqueeze', 'Squeeze']);
/** Ops allowed in the shape computations that feed the chains' Reshapes. */
const SHAPE_OPS = new Set(['Shape', 'Gather', 'Concat', 'Cast', 'Slice', 'ReduceProd', 'Max', 'Unsqueeze', 'Squeeze', 'Mul']);
const PROBE_BATCH = 2;
/** Sequence lengths given to dynamic query and key/value sequences (different, so a mix-up shows). */
const PROBE_SEQUENCE = 3;
const PROBE_KEY_SEQUENCE = 5;
const MAX_PROBE_ELEMENTS = 1 << 20;

type Dims = number[];

interface Probe {
  roots: Map<string, ConstantTensor>;
  graph: FusionGraph;
  memo: Map<string, ConstantTensor | undefined>;
}

function layoutProducer(graph: FusionGraph, name: string): NodeProto | undefined {
  const node = graph.producer(name);
  return node !== undefined && (node.domain ?? '') === '' && LAYOUT_OPS.has(node.opType ?? '') ? node : undefined;
}

/**
 * Walks back through layout ops from `name`; returns the first tensor not written by one, or the
 * head split (a Reshape to a constant 4-D [_, S, N, H] target) where the walk meets one.
 */
function layoutRoot(graph: FusionGraph, name: string): string {
  let current = name;
  for (let step = 0; step < 12; step += 1) {
    const node = layoutProducer(graph, current);
    if (node === undefined || headDims(graph, current) !== undefined) return current;
    current = node.input[0] ?? '';
  }
  return current;
}

function random(dims: Dims, seed: number): ConstantTensor {
  const count = dims.reduce((a, b) => a * b, 1);
  const values = new Float32Array(count);
  let state = seed;
  for (let index = 0; index < count; index += 1) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    values[index] = state / 2 ** 32 - 0.5;
  }
  return { dataType: DataType.FLOAT32, dims, values };
}

/** Batched MatMul of float32 tensors (broadcast batch dims of equal rank only). */
function matmul(a: ConstantTensor, b: ConstantTensor): ConstantTensor | undefined {
  if (a.dims.length !== b.dims.length || a.dims.length < 2) return undefined;
  const rank = a.dims.length;
  const [m, k] = [a.dims[rank - 2]!, a.dims[rank - 1]!];
  const [k2, n] = [b.dims[rank - 2]!, b.dims[rank - 1]!];
  if (k !== k2) return undefined;
  const batchDims = a.dims.slice(0, -2);
  if (batchDims.some((dim, index) => dim !== b.dims[index])) return undefined;
  const batches = batchDims.reduce((x, y) => x * y, 1);
  if (batches * m * n > MAX_PROBE_ELEMENTS) return undefined;
  const out = new Float32Array(batches * m * n);
  const [av, bv] = [a.values as Float32Array, b.values as Float32Array];
  for (let batch = 0; batch < batches; batch += 1) {
    for (let row = 0; row < m; row += 1) {
      for (let column = 0; column < n; column += 1) {
        let sum = 0;
        for (let inner = 0; inner < k; inner += 1) sum += av[batch * m * k + row * k + inner]! * bv[batch * k * n + inner * n + column]!;
        out[batch * m * n + row * n + column] = sum;
      }
    }
  }
  return { dataType: DataType.FLOAT32, dims: [...batchDims, m, n], values: out };
}

/** Evaluates `name` from the probe roots and constants through layout, shape and MatMul ops. */
function evaluate(probe: Probe, name: string, depth = 0): ConstantTensor | undefined {
  if (probe.memo.has(name)) return probe.memo.get(name);
  const root = probe.roots.get(name);
  if (root !== undefined) return root;
  let result: ConstantTensor | undefined;
  const constant = probe.graph.constant(name);
  const node = probe.graph.producer(name);
  if (constant !== undefined && (node === undefined || node.opType === 'Constant' || node.opType === 'Identity')) {
    result = constant.dataType === DataType.INT64 ? int64Constant(Array.from(constant.values, Number), constant.dims) : undefined;
  } else if (node !== undefined && (node.domain ?? '') === '' && depth < 40) {
    const op = node.opType ?? '';
    if (LAYOUT_OPS.has(op) || SHAPE_OPS.has(op) || op === 'MatMul') {
      const inputs = node.input.map((input) => (input === '' ? undefined : evaluate(probe, input, depth + 1)));
      if (!inputs.some((input, index) => input === undefined && node.input[index] !== '')) result = apply(node, inputs);
    }
  }
  probe.memo.set(name, result);
  return result;
}

function apply(node: NodeProto, inputs: Array<ConstantTensor | undefined>): ConstantTensor | undefined {
  const op = node.opType ?? '';
  if (op === 'MatMul') return matmul(inputs[0]!, inputs[1]!);
  if (op === 'Max') {
    const lists = inputs.map((input) => (input === undefined ? [] : constantNumbers(input)));
    const length = Math.max(...lists.map((list) => list.length));
    const values = Array.from({ length }, (_, index) => Math.max(...lists.map((list) => (list.length === 1 ? list[0]! : list[index]!))));
    return int64Constant(values, inputs.every((input) => input?.dims.length === 0) ? [] : [length]);
  }
  if (op === 'ReduceProd') {
    const values = inputs.map((input) => (input === undefined ? [] : constantNumbers(input)));
    const axes = inputs[1] === undefined ? (getIntsAttribute(node, 'axes') ?? undefined) : constantNumbers(inputs[1]);
    if (axes !== undefined && axes.length > 0 && !(axes.length === 1 && (axes[0] === 0 || axes[0] === -1))) return undefined;
    const product = values[0]!.reduce((a, b) => a * b, 1);
    return getIntAttribute(node, 'keepdims', 1) === 1 ? int64Constant([product]) : int64Constant([product], []);
  }
  try {
    return CONSTANT_EVALUATORS.get(op)?.(node, inputs, 18)?.[0];
  } catch {
    return undefined;
  }
}

function close(actual: ConstantTensor | undefined, expected: ConstantTensor): boolean {
  if (actual === undefined || actual.dims.join(',') !== expected.dims.join(',')) return false;
  const [a, b] = [actual.values as Float32Array, expected.values as Float32Array];
  for (let index = 0; index < b.length; index += 1) if (Math.abs(a[index]! - b[index]!) > 1e-4) return false;
  return true;
}

/** einsum over [B, S, N, H] heads: `q·k` -> [B, N, S, T]. */
function scoresOf(q: ConstantTensor, k: ConstantTensor): ConstantTensor {
  const [b, s, n, h] = q.dims as [number, number, number, number];
  const t = k.dims[1]!;
  const out = new Float32Array(b * n * s * t);
  const [qv, kv] = [q.values as Float32Array, k.values as Float32Array];
  for (let i = 0; i < b; i += 1)
    for (let head = 0; head < n; head += 1)
      for (let row = 0; row < s; row += 1)
        for (let column = 0; column < t; column += 1) {
          let sum = 0;
          for (let d = 0; d < h; d += 1) sum += qv[((i * s + row) * n + head) * h + d]! * kv[((i * t + column) * n + head) * h + d]!;
          out[((i * n + head) * s + row) * t + column] = sum;
        }
  return { dataType: DataType.FLOAT32, dims: [b, n, s, t], values: out };
}

/** einsum `p·v` with p [B, N, S, T] and v [B, T, N, H] -> [B, S, N, H]. */
function contextOf(p: ConstantTensor, v: ConstantTensor): ConstantTensor {
  const [b, n, s, t] = p.dims as [number, number, number, number];
  const h = v.dims[3]!;
  const out = new Float32Array(b * s * n * h);
  const [pv, vv] = [p.values as Float32Array, v.values as Float32Array];
  for (let i = 0; i < b; i += 1)
    for (let head = 0; head < n; head += 1)
      for (let row = 0; row < s; row += 1)
        for (let d = 0; d < h; d += 1) {
          let sum = 0;
          for (let column = 0; column < t; column += 1) sum += pv[((i * n + head) * s + row) * t + column]! * vv[((i * t + column) * n + head) * h + d]!;
          out[((i * s + row) * n + head) * h + d] = sum;
        }
  return { dataType: DataType.FLOAT32, dims: [b, s, n, h], values: out };
}

/**
 * The probe dims of a head split: a Reshape to [_, S, N, H] with constant heads and head size; the
 * batch is the probe's and a sequence that is not constant gets `sequence`.
 */
function headDims(graph: FusionGraph, name: string, sequence = PROBE_SEQUENCE): Dims | undefined {
  const biased = biasAfterSplit(graph, name);
  if (biased !== undefined) return headDims(graph, biased.split, sequence);
  const squeezed = squeezedHeadSplit(graph, name);
  const reshape = squeezed ?? graph.producer(name, 'Reshape');
  let pieces = reshape === undefined ? undefined : shapePieces(graph, reshape.input[1]);
  if (squeezed !== undefined) {
    const tail = constantTail(graph, squeezed.input[1]);
    pieces = pieces ?? (tail !== undefined && tail.length >= 3 ? [undefined, undefined, ...tail.slice(-3)] : undefined);
    pieces = pieces?.slice(0, 4);
  }
  if (pieces?.length !== 4) return undefined;
  const [, length, heads, size] = pieces;
  if (heads === undefined || size === undefined || heads <= 0 || size <= 0) return undefined;
  return [PROBE_BATCH, length !== undefined && length > 0 ? length : sequence, heads, size];
}

/**
 * tf2onnx's form of the head split when the sequence is dynamic: `Squeeze(Reshape(p, [.., .., N, H, 1]), [4])`;
 * returns the Reshape.
 */
function squeezedHeadSplit(graph: FusionGraph, name: string): NodeProto | undefined {
  const squeeze = graph.producer(name, 'Squeeze');
  const axes = squeeze === undefined ? undefined : (getIntsAttribute(squeeze, 'axes') ?? (graph.constant(squeeze.input[1])?.values as number[] | undefined));
  if (squeeze === undefined || axes?.length !== 1 || ![4, -1].includes(Number(axes[0]))) return undefined;
  const reshape = graph.producer(squeeze.input[0], 'Reshape');
  const pieces = reshape === undefined ? undefined : shapePieces(graph, reshape.input[1]);
  if (pieces !== undefined) return pieces.length === 5 && pieces[4] === 1 ? reshape : undefined;
  const tail = reshape === undefined ? undefined : constantTail(graph, reshape.input[1]);
  return tail !== undefined && tail.length >= 3 && tail.at(-1) === 1 ? reshape : undefined;
}

/** The constant values that end a Concat shape (or a whole constant shape). */
function constantTail(graph: FusionGraph, name: string | undefined): number[] | undefined {
  const constant = graph.constant(name);
  if (constant !== undefined) return Array.from(constant.values, Number);
  const concat = graph.producer(name, 'Concat');
  if (concat === undefined) return undefined;
  const tail: number[] = [];
  for (const input of [...concat.input].reverse()) {
    const part = graph.constant(input);
    if (part === undefined) break;
    tail.unshift(...Array.from(part.values, Number));
  }
  return tail;
}

/**
 * `Add(split, bias)` with a constant [N, H] bias (Keras' EinsumDense adds its bias after the head
 * split): the split and the bias flattened to [N*H]; undefined for anything else.
 */
function biasAfterSplit(graph: FusionGraph, name: string): { split: string; bias: Float32Array } | undefined {
  const add = graph.producer(name, 'Add');
  if (add === undefined) return undefined;
  for (const index of [1, 0]) {
    const bias = graph.constant(add.input[index]);
    if (bias === undefined || bias.dims.length < 2 || bias.dims.slice(0, -2).some((dim) => dim !== 1)) continue;
    return { split: add.input[1 - index] ?? '', bias: Float32Array.from(bias.values as ArrayLike<number>) };
  }
  return undefined;
}

/**
 * A head split the attention matcher reads (`Reshape(MatMul(x, W) (+ b), [0, 0, N, H])`) for what
 * tf2onnx writes: `Squeeze(Reshape(Gemm(Reshape(x, [-1, D]), W), [.., .., N, H, 1]))` when the
 * sequence is dynamic (x's shape proven [batch, sequence, D] symbolically), and a bias added after
 * the split; `root` itself when it already is a plain split.
 */
function standardHeadSplit(graph: FusionGraph, root: string, shapes: (name: string) => SymbolicDim[] | undefined): string | undefined {
  const biased = biasAfterSplit(graph, root);
  const splitName = biased?.split ?? root;
  const reshape5 = squeezedHeadSplit(graph, splitName);
  let x: string;
  let weightName: string;
  let bias: string | undefined;
  let heads: number;
  let size: number;
  if (reshape5 === undefined) {
    const reshape = graph.producer(splitName, 'Reshape');
    const dims = headDims(graph, splitName);
    if (reshape === undefined || dims === undefined) return undefined;
    if (biased === undefined) return root;
    const projection = graph.producer(reshape.input[0], 'MatMul');
    if (projection === undefined || graph.constant(projection.input[1])?.dims.length !== 2) return undefined;
    [x, weightName, heads, size] = [projection.input[0] ?? '', projection.input[1] ?? '', dims[2]!, dims[3]!];
  } else {
    const gemm = graph.producer(reshape5.input[0], 'Gemm');
    const flatten = gemm === undefined ? undefined : graph.producer(gemm.input[0], 'Reshape');
    if (gemm === undefined || flatten === undefined) return undefined;
    bias = gemm.input[2] !== undefined && gemm.input[2] !== '' ? gemm.input[2] : undefined;
    const alpha = getFloatAttribute(gemm, 'alpha', 1);
    const beta = getFloatAttribute(gemm, 'beta', 1);
    const plain = (getIntAttribute(gemm, 'transA', 0) ?? 0) === 0 && alpha === 1 && (bias === undefined || beta === 1);
    const weight = graph.constant(gemm.input[1]);
    if (!plain || weight?.dims.length !== 2 || (bias !== undefined && graph.constant(bias)?.dims.length !== 1)) return undefined;
    const transposed = (getIntAttribute(gemm, 'transB', 0) ?? 0) === 1;
    x = flatten.input[0] ?? '';
    // tf2onnx lowers the projection einsum on x unsqueezed to [batch, sequence, 1, 1, D].
    const unsqueeze = graph.producer(x, 'Unsqueeze');
    const one = [{ coefficient: 1, symbols: [] }];
    if (unsqueeze !== undefined && shapes(unsqueeze.input[0] ?? '')?.length === 3 && (shapes(x) ?? []).slice(2, -1).every((dim) => sameShape([dim], one))) {
      x = unsqueeze.input[0] ?? '';
    }
    const [xShape, splitShape] = [shapes(x), shapes(splitName)];
    if (xShape?.length !== 3 || splitShape?.length !== 4 || !sameShape(xShape.slice(0, 2), splitShape.slice(0, 2))) return undefined;
    if (splitShape[2]!.symbols.length > 0 || splitShape[3]!.symbols.length > 0) return undefined;
    [weightName, heads, size] = [gemm.input[1] ?? '', splitShape[2]!.coefficient, splitShape[3]!.coefficient];
    const [rows, columns] = transposed ? [weight.dims[1]!, weight.dims[0]!] : [weight.dims[0]!, weight.dims[1]!];
    if (heads * size !== columns) return undefined;
    if (transposed) {
      // Gemm(transB=1) stores W^T: a [D, N*H] copy for the MatMul the matcher reads.
      const values = new Float32Array(rows * columns);
      for (let row = 0; row < rows; row += 1) for (let column = 0; column < columns; column += 1) values[row * columns + column] = Number(weight.values[column * rows + row]);
      weightName = graph.addInitializer('head_projection_weight', 'float32', [rows, columns], values);
    }
  }
  if (biased !== undefined) {
    if (bias !== undefined || biased.bias.length !== heads * size) return undefined;
    bias = graph.addInitializer('head_projection_bias', 'float32', [heads * size], biased.bias);
  }
  const projected = graph.uniqueName(`${root}_projection`);
  graph.addNode('MatMul', [x, weightName], [projected]);
  let output = projected;
  if (bias !== undefined) {
    output = graph.uniqueName(`${root}_projection_bias`);
    graph.addNode('Add', [projected, bias], [output]);
  }
  const shape = graph.addInitializer('head_split_shape', 'int64', [4], BigInt64Array.from([0n, 0n, BigInt(heads), BigInt(size)]));
  const split = graph.uniqueName(`${root}_heads`);
  graph.addNode('Reshape', [output, shape], [split]);
  return split;
}

/** The MatMul under a chain of layout ops (and an optional scalar Mul) ending at `name`. */
function matmulUnder(graph: FusionGraph, name: string): NodeProto | undefined {
  return graph.producer(layoutRoot(graph, name), 'MatMul');
}

/** Rewrites each lowered-einsum attention block it can prove; returns how many. */
export function canonicalizeEinsumAttention(graph: FusionGraph, opsetVersion: number): number {
  let rewritten = 0;
  let shapes: ((name: string) => SymbolicDim[] | undefined) | undefined;
  for (const softmax of graph.graph.node.filter((node) => node.opType === 'Softmax' && (node.domain ?? '') === '')) {
    if (![-1, 3].includes(getIntAttribute(softmax, 'axis', -1) ?? -1)) continue;
    // A block the matcher already reads (the PyTorch exports) is left as it is.
    if (typeof matchAttention(graph, softmax, opsetVersion) !== 'string') continue;
    // Scores: Softmax <- [Mul(scale)] <- layout chain <- MatMul(layout(q), layout(k)).
    const scaled = graph.producer(softmax.input[0], 'Mul');
    const scaleOperand = scaled === undefined ? undefined : graph.scalarOperand(scaled);
    const scores = scaleOperand?.other ?? softmax.input[0] ?? '';
    const scoresMatMul = matmulUnder(graph, scores);
    if (scoresMatMul === undefined || layoutProducer(graph, scoresMatMul.input[0] ?? '') === undefined) continue;
    const q = layoutRoot(graph, scoresMatMul.input[0] ?? '');
    const k = layoutRoot(graph, scoresMatMul.input[1] ?? '');
    const [qDims, kDims] = [headDims(graph, q), headDims(graph, k, PROBE_KEY_SEQUENCE)];
    if (qDims === undefined || kDims === undefined || qDims[2] !== kDims[2] || qDims[3] !== kDims[3]) continue;
    const [qProbe, kProbe] = [random(qDims, 3), random(kDims, 5)];
    const scoreProbe = { graph, roots: new Map([[q, qProbe], [k, kProbe]]), memo: new Map() };
    if (!close(evaluate(scoreProbe, scores), scoresOf(qProbe, kProbe))) continue;

    // Context: Softmax -> layout chain -> MatMul(., layout(v)) -> layout chain -> [B, S, N, H].
    const probabilities = softmax.output[0] ?? '';
    let contextMatMul: NodeProto | undefined;
    let current = probabilities;
    for (let step = 0; step < 8 && contextMatMul === undefined; step += 1) {
      const readers = graph.consumersOf(current).filter((node) => node.opType !== 'Shape');
      if (readers.length !== 1) break;
      const reader = readers[0]!;
      if (reader.opType === 'MatMul' && reader.input[0] === current) contextMatMul = reader;
      else if (LAYOUT_OPS.has(reader.opType ?? '') && reader.input[0] === current) current = reader.output[0] ?? '';
      else break;
    }
    if (contextMatMul === undefined || current === probabilities) continue;
    const v = layoutRoot(graph, contextMatMul.input[1] ?? '');
    const vDims = headDims(graph, v, kDims[1]);
    if (vDims === undefined || vDims[1] !== kDims[1] || vDims[2] !== kDims[2]) continue;
    const pDims = [PROBE_BATCH, qDims[2]!, qDims[1]!, kDims[1]!];
    const [pProbe, vProbe] = [random(pDims, 7), random(vDims, 11)];
    const contextProbe = { graph, roots: new Map([[probabilities, pProbe], [v, vProbe]]), memo: new Map() };
    const expected = contextOf(pProbe, vProbe);
    // The heads merged into rows, [B*S, N*H]: where the output projection's Gemm reads it when the
    // sequence is dynamic.
    const expectedRows = { ...expected, dims: [expected.dims[0]! * expected.dims[1]!, expected.dims[2]! * expected.dims[3]!] };
    let contextEnd: string | undefined;
    let contextRows = false;
    current = contextMatMul.output[0] ?? '';
    for (let step = 0; step < 10 && contextEnd === undefined; step += 1) {
      const value = evaluate(contextProbe, current);
      contextRows = close(value, expectedRows);
      if (contextRows || close(value, expected)) {
        contextEnd = current;
        break;
      }
      const readers = graph.consumersOf(current).filter((node) => node.opType !== 'Shape');
      if (readers.length !== 1 || !LAYOUT_OPS.has(readers[0]!.opType ?? '')) break;
      current = readers[0]!.output[0] ?? '';
    }
    if (contextEnd === undefined) continue;

    if (graph.graph.output.some((output) => output.name === contextEnd || output.name === scores)) continue;
    if ([q, k, v].some((root) => squeezedHeadSplit(graph, biasAfterSplit(graph, root)?.split ?? root) !== undefined)) shapes ??= inferSymbolicShapes(graph);
    const splits = [q, k, v].map((root) => standardHeadSplit(graph, root, shapes ?? (() => undefined)));
    if (splits.some((split) => split === undefined)) continue;
    const [qSplit, kSplit, vSplit] = splits as [string, string, string];
    const name = (prefix: string): string => graph.uniqueName(`${softmax.name ?? 'attention'}_${prefix}`);
    const [qHeads, kTransposed, newScores] = [name('q_heads'), name('k_transposed'), name('scores')];
    graph.addNode('Transpose', [qSplit], [qHeads], { attributes: { perm: [0, 2, 1, 3] } });
    graph.addNode('Transpose', [kSplit], [kTransposed], { attributes: { perm: [0, 2, 3, 1] } });
    graph.addNode('MatMul', [qHeads, kTransposed], [newScores]);
    if (scaled !== undefined && scaleOperand !== undefined) scaled.input[scaled.input.indexOf(scores)] = newScores;
    else softmax.input[0] = newScores;
    const [vHeads, context, merged] = [name('v_heads'), name('context'), name('context_bsnh')];
    graph.addNode('Transpose', [vSplit], [vHeads], { attributes: { perm: [0, 2, 1, 3] } });
    graph.addNode('MatMul', [probabilities, vHeads], [context]);
    graph.addNode('Transpose', [context], [merged], { attributes: { perm: [0, 2, 1, 3] } });
    let replacement = merged;
    if (contextRows) {
      replacement = name('context_rows');
      const rows = graph.addInitializer('context_rows_shape', 'int64', [2], BigInt64Array.from([-1n, BigInt(qDims[2]! * vDims[3]!)]));
      graph.addNode('Reshape', [merged, rows], [replacement]);
    }
    for (const reader of graph.consumersOf(contextEnd)) {
      for (let index = 0; index < reader.input.length; index += 1) if (reader.input[index] === contextEnd) reader.input[index] = replacement;
    }
    rewritten += 1;
  }
  return rewritten;
}
