/**
 * GELU fusions: the erf form `x * 0.5 * (1 + erf(x / sqrt(2)))` (or Keras' `0.5 * x * erfc(-x / sqrt(2))`
 * with erfc as `1 - erf`) to com.microsoft Gelu (BiasGelu when x is MatMul output plus a bias), the tanh form
 * `0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))` to FastGelu, and for O3 the erf form to
 * FastGelu as well (approximate GELU).
 */
import type { NodeProto } from '@gpux/onnx';
import { type FusionGraph, MICROSOFT_DOMAIN } from './fusion-graph';

const close = (value: number | undefined, expected: number, tolerance = 1e-3): boolean =>
  value !== undefined && Math.abs(value - expected) <= tolerance * Math.max(1, Math.abs(expected));

/** Options of {@link fuseGelu}. */
export interface FuseGeluOptions {
  /** Write FastGelu (tanh approximation) for the erf form too (O3). @default false */
  approximate?: boolean;
}

/** Finds the single reader of `name` with the given op type. */
function onlyReader(graph: FusionGraph, name: string, opType: string): NodeProto | undefined {
  const readers = graph.consumersOf(name);
  if (readers.length !== 1 || graph.usedOutside(name, readers)) return undefined;
  const reader = readers[0]!;
  return reader.opType === opType && (reader.domain ?? '') === '' ? reader : undefined;
}

/**
 * Given the node computing `(1 + f)` and the GELU input x, matches the closing
 * `0.5 * x * (1 + f)` in its three orders; returns the last Mul.
 */
function matchHalfTimesInput(graph: FusionGraph, onePlus: NodeProto, x: string): { output: NodeProto; nodes: NodeProto[] } | undefined {
  const sum = onePlus.output[0] ?? '';
  const mul = onlyReader(graph, sum, 'Mul');
  if (mul === undefined) return undefined;
  const other = mul.input[0] === sum ? mul.input[1] : mul.input[0];
  if (other === x) {
    const half = onlyReader(graph, mul.output[0] ?? '', 'Mul');
    if (half !== undefined && close(graph.scalarOperand(half)?.value, 0.5)) return { output: half, nodes: [mul, half] };
    return undefined;
  }
  if (close(graph.scalar(other), 0.5)) {
    const outer = onlyReader(graph, mul.output[0] ?? '', 'Mul');
    if (outer !== undefined && (outer.input[0] === x || outer.input[1] === x)) return { output: outer, nodes: [mul, outer] };
    return undefined;
  }
  const halfX = graph.producer(other, 'Mul');
  if (halfX !== undefined && close(graph.scalarOperand(halfX)?.value, 0.5) && graph.scalarOperand(halfX)?.other === x) {
    return { output: mul, nodes: [halfX, mul] };
  }
  return undefined;
}

/** Matches the erf form from its Erf node; returns x and the node computing the result. */
function matchErfGelu(graph: FusionGraph, erf: NodeProto): { x: string; output: NodeProto } | undefined {
  const scaled = graph.producer(erf.input[0]);
  let x: string | undefined;
  if (scaled?.opType === 'Div' && close(graph.scalar(scaled.input[1]), Math.SQRT2)) x = scaled.input[0];
  else if (scaled?.opType === 'Mul' && close(graph.scalarOperand(scaled)?.value, Math.SQRT1_2)) x = graph.scalarOperand(scaled)?.other;
  if (x === undefined || graph.consumersOf(scaled?.output[0] ?? '').length !== 1) return undefined;
  const negation = graph.producer(x, 'Neg');
  if (negation !== undefined) {
    // Keras 3 through tf2onnx: 0.5 * x * erfc(-x / sqrt(2)), erfc written as 1 - erf.
    const oneMinus = onlyReader(graph, erf.output[0] ?? '', 'Sub');
    if (oneMinus === undefined || oneMinus.input[1] !== erf.output[0] || !close(graph.scalar(oneMinus.input[0]), 1)) return undefined;
    if (graph.consumersOf(x).length !== 1) return undefined;
    const input = negation.input[0] ?? '';
    const tail = matchHalfTimesInput(graph, oneMinus, input);
    return tail === undefined ? undefined : { x: input, output: tail.output };
  }
  const onePlus = onlyReader(graph, erf.output[0] ?? '', 'Add');
  if (onePlus === undefined || !close(graph.scalarOperand(onePlus)?.value, 1)) return undefined;
  const tail = matchHalfTimesInput(graph, onePlus, x);
  return tail === undefined ? undefined : { x, output: tail.output };
}

/** Matches the tanh form from its Tanh node. */
function matchTanhGelu(graph: FusionGraph, tanh: NodeProto): { x: string; output: NodeProto } | undefined {
  const outer = graph.producer(tanh.input[0], 'Mul');
  const outerScale = outer === undefined ? undefined : graph.scalarOperand(outer);
  if (outerScale === undefined || !close(outerScale.value, Math.sqrt(2 / Math.PI))) return undefined;
  const sum = graph.producer(outerScale.other, 'Add');
  if (sum === undefined) return undefined;
  for (const [xIndex, cubeIndex] of [[0, 1], [1, 0]] as const) {
    const x = sum.input[xIndex] ?? '';
    const cubeMul = graph.producer(sum.input[cubeIndex], 'Mul');
    const coefficient = cubeMul === undefined ? undefined : graph.scalarOperand(cubeMul);
    if (coefficient === undefined || !close(coefficient.value, 0.044715)) continue;
    const cube = graph.producer(coefficient.other);
    const isCube =
      (cube?.opType === 'Pow' && cube.input[0] === x && close(graph.scalar(cube.input[1]), 3)) ||
      (cube?.opType === 'Mul' && cube.input.includes(x) && graph.producer(cube.input.find((name) => name !== x), 'Mul')?.input.every((name) => name === x) === true);
    if (!isCube) continue;
    const onePlus = onlyReader(graph, tanh.output[0] ?? '', 'Add');
    if (onePlus === undefined || !close(graph.scalarOperand(onePlus)?.value, 1)) return undefined;
    const tail = matchHalfTimesInput(graph, onePlus, x);
    return tail === undefined ? undefined : { x, output: tail.output };
  }
  return undefined;
}

/** The nodes between `x` and `output` (the matched pattern), found walking back from `output`. */
function patternNodes(graph: FusionGraph, output: NodeProto, x: string): Set<NodeProto> {
  const nodes = new Set<NodeProto>();
  const pending = [output];
  while (pending.length > 0 && nodes.size < 32) {
    const node = pending.pop()!;
    if (nodes.has(node)) continue;
    nodes.add(node);
    for (const input of node.input) {
      if (input === x || graph.constant(input) !== undefined) continue;
      const producer = graph.producer(input);
      if (producer !== undefined) pending.push(producer);
    }
  }
  return nodes;
}

/** Splits `x = MatMul(...) + bias` into the MatMul output and the bias, when only the pattern reads x. */
function splitBias(graph: FusionGraph, x: string, pattern: Set<NodeProto>): { input: string; bias: string } | undefined {
  const add = graph.producer(x, 'Add');
  const readers = graph.consumersOf(x);
  if (add === undefined || graph.usedOutside(x, readers) || readers.some((reader) => !pattern.has(reader))) return undefined;
  for (const index of [1, 0]) {
    const bias = graph.constant(add.input[index]);
    const other = add.input[1 - index] ?? '';
    if (bias !== undefined && bias.dims.length === 1 && graph.producer(other, 'MatMul') !== undefined) return { input: other, bias: add.input[index] ?? '' };
  }
  return undefined;
}

/** Fuses every GELU pattern; returns counts by written op. */
export function fuseGelu(graph: FusionGraph, options: FuseGeluOptions = {}): Record<string, number> {
  const counts: Record<string, number> = {};
  const candidates = graph.graph.node.filter((node) => (node.opType === 'Erf' || node.opType === 'Tanh') && (node.domain ?? '') === '');
  for (const node of candidates) {
    const erf = node.opType === 'Erf';
    const match = erf ? matchErfGelu(graph, node) : matchTanhGelu(graph, node);
    if (match === undefined) continue;
    const biased = splitBias(graph, match.x, patternNodes(graph, match.output, match.x));
    const fast = !erf || options.approximate === true;
    let opType: string;
    let inputs: string[];
    if (fast) {
      opType = 'FastGelu';
      inputs = biased === undefined ? [match.x] : [biased.input, biased.bias];
    } else {
      opType = biased === undefined ? 'Gelu' : 'BiasGelu';
      inputs = biased === undefined ? [match.x] : [biased.input, biased.bias];
    }
    graph.remove(match.output);
    graph.addNode(opType, inputs, [match.output.output[0] ?? ''], { name: opType, domain: MICROSOFT_DOMAIN });
    counts[opType] = (counts[opType] ?? 0) + 1;
  }
  return counts;
}
