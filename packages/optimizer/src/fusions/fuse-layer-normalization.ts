/**
 * LayerNormalization fusions: the decomposed form older exports write
 * (ReduceMean, Sub, Pow|Mul, ReduceMean, Add eps, Sqrt, Div, Mul gamma, Add beta) to
 * LayerNormalization, then residual `LayerNormalization(a + b (+ bias))` to com.microsoft
 * SkipLayerNormalization.
 */
import type { NodeProto } from '@gpux/onnx';
import { getFloatAttribute, getIntAttribute, getIntsAttribute } from '@gpux/onnx';
import { type FusionGraph, MICROSOFT_DOMAIN } from './fusion-graph';

function reducesLastAxis(graph: FusionGraph, node: NodeProto | undefined): boolean {
  if (node?.opType !== 'ReduceMean') return false;
  const axes = getIntsAttribute(node, 'axes') ?? (graph.constant(node.input[1])?.values as number[] | undefined);
  return axes !== undefined && axes.length === 1 && Number(axes[0]) === -1 && getIntAttribute(node, 'keepdims', 1) === 1;
}

/** Writes LayerNormalization(axis -1) over `[x, gamma, beta]` in place of the pattern ending at `output`. */
function replaceWithLayerNormalization(graph: FusionGraph, output: NodeProto, inputs: string[], epsilon: number): void {
  graph.remove(output);
  graph.addNode('LayerNormalization', inputs, [output.output[0] ?? ''], { name: 'LayerNormalization', attributes: { axis: -1, epsilon: [epsilon, 'float'] } });
}

/** Fuses decomposed layer norms; returns how many. */
export function fuseDecomposedLayerNormalization(graph: FusionGraph): number {
  let count = 0;
  for (const mean of graph.graph.node.filter((node) => reducesLastAxis(graph, node))) {
    const x = mean.input[0] ?? '';
    const sub = graph.consumersOf(mean.output[0] ?? '').find((node) => node.opType === 'Sub' && node.input[0] === x);
    if (sub === undefined) continue;
    const centered = sub.output[0] ?? '';
    const readers = graph.consumersOf(centered);
    const square = readers.find((node) => (node.opType === 'Pow' && graph.scalar(node.input[1]) === 2) || (node.opType === 'Mul' && node.input[0] === centered && node.input[1] === centered));
    const div = readers.find((node) => node.opType === 'Div' && node.input[0] === centered);
    if (square === undefined || div === undefined || readers.length !== 2) continue;
    const variance = graph.consumersOf(square.output[0] ?? '')[0];
    if (!reducesLastAxis(graph, variance)) continue;
    const addEpsilon = graph.consumersOf(variance!.output[0] ?? '')[0];
    const epsilon = addEpsilon?.opType === 'Add' ? graph.scalarOperand(addEpsilon)?.value : undefined;
    const sqrt = addEpsilon === undefined ? undefined : graph.consumersOf(addEpsilon.output[0] ?? '')[0];
    if (epsilon === undefined || sqrt?.opType !== 'Sqrt' || div.input[1] !== sqrt.output[0]) continue;
    const scale = graph.consumersOf(div.output[0] ?? '');
    const mul = scale.length === 1 && scale[0]!.opType === 'Mul' ? scale[0] : undefined;
    const gamma = mul?.input.find((name) => name !== div.output[0] && graph.constant(name)?.dims.length === 1);
    if (mul === undefined || gamma === undefined) continue;
    const shift = graph.consumersOf(mul.output[0] ?? '');
    const add = shift.length === 1 && shift[0]!.opType === 'Add' ? shift[0] : undefined;
    const beta = add?.input.find((name) => name !== mul.output[0] && graph.constant(name)?.dims.length === 1);
    const output = add !== undefined && beta !== undefined ? add : mul;
    const betaName = beta ?? graph.addInitializer('layer_norm_beta', 'float32', graph.constant(gamma)!.dims, new Float32Array(graph.constant(gamma)!.values.length));
    replaceWithLayerNormalization(graph, output, [x, gamma, betaName], epsilon);
    count += 1;
  }
  return count;
}

/** The values of a constant whose dims are all 1 but the last (a per-channel vector), or undefined. */
function channelVector(graph: FusionGraph, name: string | undefined): { values: Float32Array; rank: number } | undefined {
  const constant = graph.constant(name);
  if (constant === undefined || constant.dims.length === 0 || constant.dims.slice(0, -1).some((dim) => dim !== 1)) return undefined;
  return { values: Float32Array.from(constant.values as ArrayLike<number>), rank: constant.dims.length };
}

/**
 * Fuses the layer norm that tf2onnx writes for Keras' LayerNormalization (moments, then
 * `x * (gamma / sqrt(var + eps)) + (beta - mean * gamma / sqrt(var + eps))`):
 * ReduceMean, Neg, Sub, Mul (square), ReduceMean, Add eps, Sqrt, Reciprocal, Mul gamma, Mul x,
 * Mul -mean, Add beta, Add. Returns how many.
 */
export function fuseTensorflowLayerNormalization(graph: FusionGraph): number {
  let count = 0;
  for (const mean of graph.graph.node.filter((node) => node.opType === 'ReduceMean' && (node.domain ?? '') === '')) {
    const x = mean.input[0] ?? '';
    const meanName = mean.output[0] ?? '';
    const readers = graph.consumersOf(meanName);
    const negation = readers.find((node) => node.opType === 'Neg');
    const sub = readers.find((node) => node.opType === 'Sub' && node.input[0] === x && node.input[1] === meanName);
    if (negation === undefined || sub === undefined || readers.length !== 2) continue;
    const square = graph.consumersOf(sub.output[0] ?? '')[0];
    if (square?.opType !== 'Mul' || square.input[0] !== sub.output[0] || square.input[1] !== sub.output[0]) continue;
    const variance = graph.consumersOf(square.output[0] ?? '')[0];
    const axis = variance?.opType === 'ReduceMean' ? reducedAxis(graph, mean, variance) : undefined;
    if (variance === undefined || axis === undefined) continue;
    const addEpsilon = graph.consumersOf(variance.output[0] ?? '')[0];
    const epsilon = addEpsilon?.opType === 'Add' ? graph.scalarOperand(addEpsilon)?.value : undefined;
    const sqrt = addEpsilon === undefined ? undefined : graph.consumersOf(addEpsilon.output[0] ?? '')[0];
    const reciprocal = sqrt?.opType === 'Sqrt' ? graph.consumersOf(sqrt.output[0] ?? '')[0] : undefined;
    if (epsilon === undefined || reciprocal?.opType !== 'Reciprocal') continue;
    const scaleMul = graph.consumersOf(reciprocal.output[0] ?? '')[0];
    const gamma = scaleMul?.opType === 'Mul' ? channelVector(graph, scaleMul.input.find((name) => name !== reciprocal.output[0])) : undefined;
    if (scaleMul === undefined || gamma === undefined) continue;
    const scaled = graph.consumersOf(scaleMul.output[0] ?? '');
    const timesX = scaled.find((node) => node.opType === 'Mul' && node.input.includes(x));
    const timesMean = scaled.find((node) => node.opType === 'Mul' && node.input.includes(negation.output[0] ?? ''));
    if (timesX === undefined || timesMean === undefined || scaled.length !== 2) continue;
    const shift = graph.consumersOf(timesMean.output[0] ?? '')[0];
    const beta = shift?.opType === 'Add' ? channelVector(graph, shift.input.find((name) => name !== timesMean.output[0])) : undefined;
    if (shift === undefined || beta === undefined || beta.values.length !== gamma.values.length) continue;
    // Only a reduction over the last axis is a LayerNormalization(axis=-1).
    if (axis !== -1 && !(gamma.rank > 1 && axis === gamma.rank - 1)) continue;
    const output = graph.consumersOf(shift.output[0] ?? '')[0];
    if (output?.opType !== 'Add' || !output.input.includes(timesX.output[0] ?? '') || !output.input.includes(shift.output[0] ?? '')) continue;
    const channels = gamma.values.length;
    const gammaName = graph.addInitializer('layer_norm_gamma', 'float32', [channels], gamma.values);
    const betaName = graph.addInitializer('layer_norm_beta', 'float32', [channels], beta.values);
    replaceWithLayerNormalization(graph, output, [x, gammaName, betaName], epsilon);
    count += 1;
  }
  return count;
}

/** The single axis both ReduceMeans reduce (keeping dims), or undefined. */
function reducedAxis(graph: FusionGraph, first: NodeProto, second: NodeProto): number | undefined {
  const axes = (node: NodeProto): number[] | undefined => getIntsAttribute(node, 'axes') ?? (graph.constant(node.input[1])?.values as number[] | undefined)?.map(Number);
  const [a, b] = [axes(first), axes(second)];
  const keep = getIntAttribute(first, 'keepdims', 1) === 1 && getIntAttribute(second, 'keepdims', 1) === 1;
  return a !== undefined && b !== undefined && a.length === 1 && b.length === 1 && a[0] === b[0] && keep ? a[0] : undefined;
}

/** Fuses `LayerNormalization(a + b (+ bias))` into SkipLayerNormalization; returns how many. */
export function fuseSkipLayerNormalization(graph: FusionGraph): number {
  let count = 0;
  for (const norm of graph.graph.node.filter((node) => node.opType === 'LayerNormalization' && (node.domain ?? '') === '')) {
    if (getIntAttribute(norm, 'axis', -1) !== -1 || norm.output.slice(1).some((name) => name !== '' && graph.consumersOf(name).length > 0)) continue;
    const gamma = graph.constant(norm.input[1]);
    if (gamma === undefined || gamma.dims.length !== 1 || (norm.input[2] !== undefined && norm.input[2] !== '' && graph.constant(norm.input[2])?.dims.length !== 1)) continue;
    const add = graph.producer(norm.input[0], 'Add');
    if (add === undefined || add.input.some((name) => graph.constant(name) !== undefined)) continue;
    let input = add.input[0] ?? '';
    let skip = add.input[1] ?? '';
    let bias: string | undefined;
    let biasAdd: NodeProto | undefined;
    for (const [index, name] of add.input.entries()) {
      const candidate = graph.producer(name, 'Add');
      if (candidate === undefined || graph.consumersOf(name).length !== 1 || graph.usedOutside(name, [add])) continue;
      const biasIndex = candidate.input.findIndex((operand) => graph.constant(operand)?.dims.length === 1);
      const other = candidate.input[1 - biasIndex] ?? '';
      if (biasIndex < 0 || graph.producer(other, 'MatMul') === undefined) continue;
      bias = candidate.input[biasIndex];
      biasAdd = candidate;
      input = other;
      skip = add.input[1 - index] ?? '';
      break;
    }
    const sum = add.output[0] ?? '';
    const sumReaders = graph.consumersOf(sum);
    const keepSum = sumReaders.length > 1 || graph.usedOutside(sum, sumReaders);
    const beta = norm.input[2] !== undefined && norm.input[2] !== '' ? norm.input[2] : graph.addInitializer('skip_layer_norm_beta', 'float32', gamma.dims, new Float32Array(gamma.values.length));
    const inputs = [input, skip, norm.input[1] ?? '', beta];
    if (bias !== undefined) inputs.push(bias);
    const outputs = [norm.output[0] ?? ''];
    if (keepSum) outputs.push('', '', sum);
    graph.remove(norm);
    if (keepSum) graph.remove(add);
    if (biasAdd !== undefined && keepSum) graph.remove(biasAdd);
    graph.addNode('SkipLayerNormalization', inputs, outputs, {
      name: 'SkipLayerNormalization',
      domain: MICROSOFT_DOMAIN,
      attributes: { epsilon: [getFloatAttribute(norm, 'epsilon', 1e-5) ?? 1e-5, 'float'] },
    });
    count += 1;
  }
  return count;
}
