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
import type { NodeProto } from '@gpux/converter-core';
import { DataType, getIntAttribute, getIntsAttribute } from '@gpux/converter-core';
import { CONSTANT_EVALUATORS } from '../passes/constant-evaluators';
import type { ConstantTensor } from '../passes/constant-tensor';
import { shapePieces } from './attention-projections';
import type { FusionGraph } from './fusion-graph';

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

function numbers(tensor: ConstantTensor): number[] {
  return Array.from(tensor.values as ArrayLike<number | bigint>, Number);
}

function int64(values: number[], dims: Dims = [values.length]): ConstantTensor {
  return { dataType: DataType.INT64, dims, values: BigInt64Array.from(values, (value) => BigInt(value)) };
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
    result = constant.dataType === DataType.INT64 ? int64(Array.from(constant.values, Number), constant.dims) : undefined;
  } else if (node !== undefined && (node.domain ?? '') === '' && depth < 40) {
    const op = node.opType ?? '';
    if (op === 'Shape') {
      const input = evaluate(probe, node.input[0] ?? '', depth + 1);
      result = input === undefined ? undefined : CONSTANT_EVALUATORS.get('Shape')!(node, [input], 18)?.[0];
    } else if (LAYOUT_OPS.has(op) || SHAPE_OPS.has(op) || op === 'MatMul') {
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
    const lists = inputs.map((input) => (input === undefined ? [] : numbers(input)));
    const length = Math.max(...lists.map((list) => list.length));
    const values = Array.from({ length }, (_, index) => Math.max(...lists.map((list) => (list.length === 1 ? list[0]! : list[index]!))));
    return int64(values, inputs.every((input) => input?.dims.length === 0) ? [] : [length]);
  }
  if (op === 'ReduceProd') {
    const values = inputs.map((input) => (input === undefined ? [] : numbers(input)));
    const axes = inputs[1] === undefined ? (getIntsAttribute(node, 'axes') ?? undefined) : numbers(inputs[1]);
    if (axes !== undefined && axes.length > 0 && !(axes.length === 1 && (axes[0] === 0 || axes[0] === -1))) return undefined;
    const product = values[0]!.reduce((a, b) => a * b, 1);
    return getIntAttribute(node, 'keepdims', 1) === 1 ? int64([product]) : int64([product], []);
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
  const reshape = graph.producer(name, 'Reshape');
  const pieces = reshape === undefined ? undefined : shapePieces(graph, reshape.input[1]);
  if (pieces?.length !== 4) return undefined;
  const [, length, heads, size] = pieces;
  if (heads === undefined || size === undefined || heads <= 0 || size <= 0) return undefined;
  return [PROBE_BATCH, length !== undefined && length > 0 ? length : sequence, heads, size];
}

/** The MatMul under a chain of layout ops (and an optional scalar Mul) ending at `name`. */
function matmulUnder(graph: FusionGraph, name: string): NodeProto | undefined {
  return graph.producer(layoutRoot(graph, name), 'MatMul');
}

/** Rewrites each lowered-einsum attention block it can prove; returns how many. */
export function canonicalizeEinsumAttention(graph: FusionGraph): number {
  let rewritten = 0;
  for (const softmax of graph.graph.node.filter((node) => node.opType === 'Softmax' && (node.domain ?? '') === '')) {
    if (![-1, 3].includes(getIntAttribute(softmax, 'axis', -1) ?? -1)) continue;
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
    let contextEnd: string | undefined;
    current = contextMatMul.output[0] ?? '';
    for (let step = 0; step < 8 && contextEnd === undefined; step += 1) {
      if (close(evaluate(contextProbe, current), expected)) {
        contextEnd = current;
        break;
      }
      const readers = graph.consumersOf(current).filter((node) => node.opType !== 'Shape');
      if (readers.length !== 1 || !LAYOUT_OPS.has(readers[0]!.opType ?? '')) break;
      current = readers[0]!.output[0] ?? '';
    }
    if (contextEnd === undefined) continue;

    if (graph.graph.output.some((output) => output.name === contextEnd || output.name === scores)) continue;
    const name = (prefix: string): string => graph.uniqueName(`${softmax.name ?? 'attention'}_${prefix}`);
    const [qHeads, kTransposed, newScores] = [name('q_heads'), name('k_transposed'), name('scores')];
    graph.addNode('Transpose', [q], [qHeads], { attributes: { perm: [0, 2, 1, 3] } });
    graph.addNode('Transpose', [k], [kTransposed], { attributes: { perm: [0, 2, 3, 1] } });
    graph.addNode('MatMul', [qHeads, kTransposed], [newScores]);
    if (scaled !== undefined && scaleOperand !== undefined) scaled.input[scaled.input.indexOf(scores)] = newScores;
    else softmax.input[0] = newScores;
    const [vHeads, context, merged] = [name('v_heads'), name('context'), name('context_bsnh')];
    graph.addNode('Transpose', [v], [vHeads], { attributes: { perm: [0, 2, 1, 3] } });
    graph.addNode('MatMul', [probabilities, vHeads], [context]);
    graph.addNode('Transpose', [context], [merged], { attributes: { perm: [0, 2, 1, 3] } });
    for (const reader of graph.consumersOf(contextEnd)) {
      for (let index = 0; index < reader.input.length; index += 1) if (reader.input[index] === contextEnd) reader.input[index] = merged;
    }
    rewritten += 1;
  }
  return rewritten;
}
