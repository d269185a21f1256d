/**
 * Matches one self-attention block around a Softmax: the scores QK^T (scale before or after the
 * MatMul), the mask (Add of an additive mask or Where on a boolean one), the probabilities times V,
 * and the transpose/reshape that merges the heads back.
 */
import type { NodeProto } from '@gpux/onnx';
import { getIntAttribute } from '@gpux/onnx';
import { analyzeMask, type MaskSource } from './attention-mask';
import { matchHeadView, matchTransposedKey, shapePieces, stripScale, type HeadView } from './attention-projections';
import type { FusionGraph } from './fusion-graph';

/** A matched attention block. */
export interface AttentionMatch {
  query: HeadView;
  key: HeadView;
  value: HeadView;
  /** Factor applied to QK^T (before softmax). */
  scale: number;
  mask?: MaskSource;
  /** The node writing [batch, sequence, hidden] (or a 2-D flattening of it) after the heads merge. */
  merge: NodeProto;
  /** Whether `merge` writes [batch, sequence, hidden] (3 dims) rather than [-1, hidden]. */
  mergeRank?: number;
  /** Intermediate values that must have no readers outside the block. */
  internals: string[];
}

/** Attention matching fails with a reason shown in the report. */
export function matchAttention(graph: FusionGraph, softmax: NodeProto, opsetVersion: number): AttentionMatch | string {
  const axis = getIntAttribute(softmax, 'axis', opsetVersion >= 13 ? -1 : 1);
  if (axis !== -1 && axis !== 3) return `Softmax is over axis ${axis ?? '?'}, not the last (key) axis`;
  const internals: string[] = [];

  // Probabilities -> MatMul with V, skipping the NaN guard, same-type Casts, Dropout and Identity.
  let probabilities = softmax.output[0] ?? '';
  internals.push(probabilities);
  let probabilitiesMatMul: NodeProto | undefined;
  for (let step = 0; step < 6 && probabilitiesMatMul === undefined; step += 1) {
    const readers = dataReaders(graph, probabilities);
    const nanGuard = matchNanGuard(graph, probabilities, readers);
    if (nanGuard !== undefined) {
      probabilities = nanGuard;
      internals.push(probabilities);
      continue;
    }
    if (readers.length !== 1) return 'the attention probabilities have several readers';
    const reader = readers[0]!;
    if ((reader.domain ?? '') !== '') return 'the attention probabilities feed a custom op';
    if (reader.opType === 'MatMul' && reader.input[0] === probabilities) probabilitiesMatMul = reader;
    else if (reader.opType === 'Cast' && getIntAttribute(reader, 'to') === 1) probabilities = reader.output[0] ?? '';
    else if (reader.opType === 'Dropout' || reader.opType === 'Identity') probabilities = reader.output[0] ?? '';
    else return `the attention probabilities feed ${reader.opType ?? '?'} instead of a MatMul with V`;
    internals.push(probabilities);
  }
  if (probabilitiesMatMul === undefined) return 'no MatMul with V after the Softmax';

  const context = probabilitiesMatMul.output[0] ?? '';
  internals.push(context);
  let transposeBack = singleReader(graph, context);
  if (transposeBack?.opType === 'Reshape' && shapePieces(graph, transposeBack.input[1])?.length === 4) {
    // TorchScript SDPA re-states the 4-D context shape before transposing back.
    internals.push(transposeBack.output[0] ?? '');
    transposeBack = singleReader(graph, transposeBack.output[0] ?? '');
  }
  if (transposeBack?.opType !== 'Transpose' || (graph.ints(transposeBack, 'perm') ?? []).join(',') !== '0,2,1,3') {
    return 'the attention context is not transposed back with perm [0,2,1,3]';
  }
  internals.push(transposeBack.output[0] ?? '');
  const merge = singleReader(graph, transposeBack.output[0] ?? '');
  if (merge?.opType !== 'Reshape') return 'the heads are not merged by a Reshape';
  const mergePieces = shapePieces(graph, merge.input[1]);

  const value = matchHeadView(graph, probabilitiesMatMul.input[1] ?? '');
  if (typeof value === 'string') return `V: ${value}`;
  if (value.scale !== 1) return 'V is scaled';

  // Scores: [Add(mask) | Where(mask)] over optional scale over MatMul(Q, K^T).
  const logits = softmax.input[0] ?? '';
  internals.push(logits);
  const maskNode = graph.producer(logits);
  let maskName: string | undefined;
  let maskKind: 'additive' | 'boolean' | undefined;
  let scores = logits;
  if (maskNode?.opType === 'Add' && (maskNode.domain ?? '') === '') {
    const first = scoresMatMul(graph, maskNode.input[0] ?? '');
    const second = first === undefined ? scoresMatMul(graph, maskNode.input[1] ?? '') : undefined;
    if (first === undefined && second === undefined) return 'no QK^T MatMul under the mask Add';
    scores = first === undefined ? (maskNode.input[1] ?? '') : (maskNode.input[0] ?? '');
    maskName = first === undefined ? maskNode.input[0] : maskNode.input[1];
    maskKind = 'additive';
  } else if (maskNode?.opType === 'Where' && (maskNode.domain ?? '') === '') {
    const fill = graph.scalar(maskNode.input[2]);
    if (fill === undefined || fill > -1e4) return 'the Where on the scores does not fill with a large negative constant';
    scores = maskNode.input[1] ?? '';
    maskName = maskNode.input[0];
    maskKind = 'boolean';
  }
  if (scores !== logits) internals.push(scores);
  const stripped = stripScale(graph, scores);
  const matmul = graph.producer(stripped.name, 'MatMul');
  if (matmul === undefined) return 'no QK^T MatMul before the Softmax';
  internals.push(matmul.output[0] ?? '');
  const query = matchHeadView(graph, matmul.input[0] ?? '');
  if (typeof query === 'string') return `Q: ${query}`;
  const key = matchTransposedKey(graph, matmul.input[1] ?? '');
  if (typeof key === 'string') return key;

  let mask: MaskSource | undefined;
  if (maskName !== undefined && maskKind !== undefined && !isTrivialMask(graph, maskName, maskKind)) {
    const analysed = analyzeMask(graph, maskName);
    if (typeof analysed === 'string') return `mask: ${analysed}`;
    mask = analysed;
  }
  for (const name of internals) {
    const readers = dataReaders(graph, name);
    const outside = graph.usedOutside(name, graph.consumersOf(name)) || (readers.length > 1 && !isNanGuardReaders(graph, name, readers));
    if (outside) return `the intermediate "${name}" is read outside the attention block`;
  }
  return {
    query,
    key,
    value,
    scale: stripped.scale * query.scale * key.scale,
    merge,
    mergeRank: mergePieces?.length,
    mask,
    internals,
  };
}

function scoresMatMul(graph: FusionGraph, name: string): NodeProto | undefined {
  return graph.producer(stripScale(graph, name).name, 'MatMul');
}

/** Readers of `name` other than Shape nodes (those only read sizes and die with the block). */
function dataReaders(graph: FusionGraph, name: string): NodeProto[] {
  return graph.consumersOf(name).filter((node) => node.opType !== 'Shape');
}

function singleReader(graph: FusionGraph, name: string): NodeProto | undefined {
  const readers = dataReaders(graph, name);
  return readers.length === 1 && !graph.usedOutside(name, graph.consumersOf(name)) ? readers[0] : undefined;
}

/** `Where(IsNaN(p), 0, p)`: returns the Where output when `readers` are exactly that guard. */
function matchNanGuard(graph: FusionGraph, name: string, readers: NodeProto[]): string | undefined {
  if (!isNanGuardReaders(graph, name, readers)) return undefined;
  return readers.find((node) => node.opType === 'Where')?.output[0];
}

function isNanGuardReaders(graph: FusionGraph, name: string, readers: NodeProto[]): boolean {
  if (readers.length !== 2) return false;
  const isNan = readers.find((node) => node.opType === 'IsNaN');
  const where = readers.find((node) => node.opType === 'Where');
  return (
    isNan !== undefined &&
    where !== undefined &&
    where.input[0] === isNan.output[0] &&
    where.input[2] === name &&
    graph.scalar(where.input[1]) === 0 &&
    dataReaders(graph, isNan.output[0] ?? '').length === 1
  );
}

/** Value-preserving broadcasts and reshapes a constant mask goes through. */
const PASS_THROUGH = new Set(['Expand', 'Reshape', 'Unsqueeze', 'Squeeze', 'Cast', 'Identity']);

function constantUnder(graph: FusionGraph, name: string): number[] | undefined {
  let current = name;
  for (let step = 0; step < 8; step += 1) {
    const constant = graph.constant(current);
    if (constant !== undefined) return Array.from(constant.values, Number);
    const node = graph.producer(current);
    if (node === undefined || !PASS_THROUGH.has(node.opType ?? '') || (node.domain ?? '') !== '') return undefined;
    current = node.input[0] ?? '';
  }
  return undefined;
}

/**
 * Whether a mask keeps every position (a constant broadcast, as ViT's SDPA export writes): an
 * additive mask of zeros, `Where(all-true, 0, -big)`, or a boolean mask that is all true.
 */
function isTrivialMask(graph: FusionGraph, name: string, kind: 'additive' | 'boolean'): boolean {
  if (kind === 'boolean') return constantUnder(graph, name)?.every((value) => value !== 0) === true;
  const direct = constantUnder(graph, name);
  if (direct !== undefined) return direct.every((value) => value === 0);
  const where = graph.producer(name, 'Where');
  if (where === undefined || graph.scalar(where.input[1]) !== 0 || (graph.scalar(where.input[2]) ?? 0) > -1e4) return false;
  return constantUnder(graph, where.input[0] ?? '')?.every((value) => value !== 0) === true;
}
