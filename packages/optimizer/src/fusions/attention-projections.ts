/**
 * Matches the per-head views of Q, K and V back to their linear projections: the head split
 * (Reshape to [batch, sequence, heads, headSize] + Transpose), K's transposition in any of the forms
 * the exporters write, scalar scales on the way, and the projection itself (MatMul + bias, or the
 * GPT-2 style Gemm into a packed [hidden, 3*hidden] weight followed by Split).
 */
import type { NodeProto } from '@gpux/onnx';
import { getIntAttribute } from '@gpux/onnx';
import type { FusionGraph } from './fusion-graph';

/** One projection: `input` times `weight` plus `bias` gives the [batch, sequence, hidden] value `output`. */
export interface Projection {
  input: string;
  /** Initializer name of a [hidden, width] weight. */
  weight?: string;
  bias?: string;
  /** The projected [batch, sequence, hidden] tensor (after bias). */
  output: string;
  /** For packed QKV (Gemm + Split): which Split output (0 Q, 1 K, 2 V). */
  packed?: { weight: string; bias?: string; splitIndex: number; split: NodeProto };
}

/** Q, K or V split into heads: the projection and the head layout found in the Reshape. */
export interface HeadView {
  projection: Projection;
  /** Product of the scalar factors met on the way (for Q and K). */
  scale: number;
  /** Constant dims of the head-split Reshape: [.., .., heads, headSize] (-1 or undefined when unknown). */
  heads?: number;
  headSize?: number;
}

/** Strips scalar Mul/Div nodes; returns the value under them and the factor they apply. */
export function stripScale(graph: FusionGraph, name: string): { name: string; scale: number } {
  let scale = 1;
  let current = name;
  for (;;) {
    const node = graph.producer(current);
    if (node === undefined || (node.domain ?? '') !== '') break;
    if (node.opType === 'Mul') {
      const operand = graph.scalarOperand(node);
      if (operand === undefined) break;
      scale *= operand.value;
      current = operand.other;
    } else if (node.opType === 'Div') {
      const divisor = graph.scalar(node.input[1]);
      if (divisor === undefined || divisor === 0 || node.input[0] === undefined) break;
      scale /= divisor;
      current = node.input[0];
    } else {
      break;
    }
  }
  return { name: current, scale };
}

function perm(graph: FusionGraph, node: NodeProto | undefined): string | undefined {
  return node === undefined ? undefined : (graph.ints(node, 'perm') ?? []).join(',');
}

/** Head-split Reshape: constant heads/headSize pieces of its shape when they can be read. */
function headLayout(graph: FusionGraph, reshape: NodeProto): { heads?: number; headSize?: number } | undefined {
  const pieces = shapePieces(graph, reshape.input[1]);
  if (pieces === undefined || pieces.length !== 4) return undefined;
  const heads = pieces[2];
  const headSize = pieces[3];
  return { ...(heads !== undefined && heads > 0 ? { heads } : {}), ...(headSize !== undefined && headSize > 0 ? { headSize } : {}) };
}

/**
 * The pieces of a 1-D shape tensor: a constant, or a Concat of one-element parts (constants give
 * numbers, computed parts undefined). Undefined when the length cannot be known.
 */
export function shapePieces(graph: FusionGraph, name: string | undefined): Array<number | undefined> | undefined {
  const constant = graph.constant(name);
  if (constant !== undefined) return constant.dims.length === 1 ? Array.from(constant.values, Number) : undefined;
  const concat = graph.producer(name, 'Concat');
  if (concat === undefined) return undefined;
  const pieces: Array<number | undefined> = [];
  for (const input of concat.input) {
    const part = graph.constant(input);
    if (part !== undefined) {
      pieces.push(...Array.from(part.values, Number));
      continue;
    }
    const producer = graph.producer(input);
    const oneElement =
      producer !== undefined &&
      (producer.opType === 'Unsqueeze' ||
        (producer.opType === 'Shape' && getIntAttribute(producer, 'end') !== undefined &&
          (getIntAttribute(producer, 'end') ?? 0) - (getIntAttribute(producer, 'start') ?? 0) === 1));
    if (!oneElement) return undefined;
    pieces.push(undefined);
  }
  return pieces;
}

/** Matches `Transpose[0,2,1,3](Reshape(projection))` (Q and V). */
export function matchHeadView(graph: FusionGraph, name: string): HeadView | string {
  const stripped = stripScale(graph, name);
  const transpose = graph.producer(stripped.name, 'Transpose');
  if (transpose === undefined || perm(graph, transpose) !== '0,2,1,3') return 'no [0,2,1,3] Transpose after the head split';
  const inner = stripScale(graph, transpose.input[0] ?? '');
  const reshape = graph.producer(inner.name, 'Reshape');
  if (reshape === undefined) return 'no Reshape splitting the projection into heads';
  return finishHeadView(graph, reshape, stripped.scale * inner.scale);
}

/** Matches K transposed for QK^T in the forms the exporters write. */
export function matchTransposedKey(graph: FusionGraph, name: string): HeadView | string {
  const outer = stripScale(graph, name);
  const node = graph.producer(outer.name);
  // Transpose[0,2,3,1](Reshape(k))
  if (node?.opType === 'Transpose' && perm(graph, node) === '0,2,3,1') {
    const inner = stripScale(graph, node.input[0] ?? '');
    const reshape = graph.producer(inner.name, 'Reshape');
    if (reshape === undefined) return 'K^T: no Reshape under the [0,2,3,1] Transpose';
    return finishHeadView(graph, reshape, outer.scale * inner.scale);
  }
  // Transpose[0,1,3,2](Transpose[0,2,1,3](Reshape(k)))
  if (node?.opType === 'Transpose' && perm(graph, node) === '0,1,3,2') {
    const view = matchHeadView(graph, node.input[0] ?? '');
    return typeof view === 'string' ? `K^T: ${view}` : { ...view, scale: view.scale * outer.scale };
  }
  // Reshape(Transpose[0,2,1](Reshape(Transpose[0,2,1,3](Reshape(k)), [-1, S, d])), [B, N, d, S]) (dynamo SDPA)
  if (node?.opType === 'Reshape' && node.domain !== 'com.microsoft') {
    const middle = stripScale(graph, node.input[0] ?? '');
    const transpose3d = graph.producer(middle.name, 'Transpose');
    if (transpose3d === undefined || perm(graph, transpose3d) !== '0,2,1') return 'K^T: unrecognised Reshape form';
    const flatten = stripScale(graph, transpose3d.input[0] ?? '');
    const reshape3d = graph.producer(flatten.name, 'Reshape');
    if (reshape3d === undefined) return 'K^T: unrecognised Reshape form';
    const view = matchHeadView(graph, reshape3d.input[0] ?? '');
    if (typeof view === 'string') return `K^T: ${view}`;
    return { ...view, scale: view.scale * outer.scale * middle.scale * flatten.scale };
  }
  return 'K^T: the second MatMul input is not a transposed head view of K';
}

function finishHeadView(graph: FusionGraph, reshape: NodeProto, scale: number): HeadView | string {
  const layout = headLayout(graph, reshape);
  if (layout === undefined) return 'the head-split Reshape has no [batch, sequence, heads, headSize] shape';
  const projection = matchProjection(graph, reshape.input[0] ?? '');
  if (typeof projection === 'string') return projection;
  return { projection, scale, ...layout };
}

/** Matches `MatMul(x, W) (+ b)` or a Split output of a packed `Gemm`/`MatMul` projection. */
export function matchProjection(graph: FusionGraph, name: string): Projection | string {
  const split = graph.producer(name, 'Split');
  if (split !== undefined) return matchPackedProjection(graph, split, name);
  let bias: string | undefined;
  let matmulOutput = name;
  const add = graph.producer(name, 'Add');
  if (add !== undefined) {
    const biasIndex = isVector(graph, add.input[1]) ? 1 : isVector(graph, add.input[0]) ? 0 : -1;
    if (biasIndex < 0) return 'the projection Add has no constant bias vector';
    bias = add.input[biasIndex];
    matmulOutput = add.input[1 - biasIndex] ?? '';
  }
  const matmul = graph.producer(matmulOutput, 'MatMul');
  if (matmul === undefined) return 'no MatMul projection before the head split';
  const weight = graph.constant(matmul.input[1]);
  if (weight === undefined || weight.dims.length !== 2) {
    return { input: matmul.input[0] ?? '', output: name, bias };
  }
  return { input: matmul.input[0] ?? '', weight: matmul.input[1] ?? '', output: name, bias };
}

function isVector(graph: FusionGraph, name: string | undefined): boolean {
  const constant = graph.constant(name);
  return constant !== undefined && constant.dims.length === 1;
}

function matchPackedProjection(graph: FusionGraph, split: NodeProto, name: string): Projection | string {
  const splitIndex = split.output.indexOf(name);
  if (split.output.length !== 3 || splitIndex < 0) return 'the QKV Split does not have three outputs';
  const axis = getIntAttribute(split, 'axis', 0);
  if (axis !== 2 && axis !== -1) return 'the QKV Split is not along the hidden axis';
  const sizes = graph.constant(split.input[1]);
  if (sizes !== undefined && new Set(Array.from(sizes.values, Number)).size !== 1) return 'the QKV Split parts differ in size';
  // Reshape(Gemm(Reshape(x, [-1, H]), W, b), [B, S, 3H]) or MatMul(x, W) + b.
  let source = split.input[0] ?? '';
  const unflatten = graph.producer(source, 'Reshape');
  if (unflatten !== undefined) source = unflatten.input[0] ?? '';
  const gemm = graph.producer(source, 'Gemm');
  if (gemm !== undefined) {
    if (getIntAttribute(gemm, 'transA', 0) !== 0 || getIntAttribute(gemm, 'transB', 0) !== 0) return 'the QKV Gemm transposes an input';
    if (getAttributeFloat(gemm, 'alpha') !== 1 || getAttributeFloat(gemm, 'beta') !== 1) return 'the QKV Gemm scales its product';
    const flatten = graph.producer(gemm.input[0], 'Reshape');
    const weight = gemm.input[1] ?? '';
    const bias = gemm.input[2] !== undefined && gemm.input[2] !== '' ? gemm.input[2] : undefined;
    if (graph.constant(weight)?.dims.length !== 2 || (bias !== undefined && graph.constant(bias)?.dims.length !== 1)) {
      return 'the packed QKV weights are not constants';
    }
    const input = flatten === undefined ? (gemm.input[0] ?? '') : (flatten.input[0] ?? '');
    return { input, output: name, packed: { weight, splitIndex, split, bias } };
  }
  const single = matchProjection(graph, source);
  if (typeof single === 'string' || single.weight === undefined) return 'the packed QKV projection is not MatMul + bias with constant weights';
  return {
    input: single.input,
    output: name,
    packed: { weight: single.weight, splitIndex, split, bias: single.bias },
  };
}

function getAttributeFloat(node: NodeProto, name: string): number {
  const attribute = node.attribute.find((entry) => entry.name === name);
  return attribute?.f ?? 1;
}
