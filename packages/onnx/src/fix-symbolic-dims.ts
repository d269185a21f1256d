/** Fixing symbolic dims to sizes (`--static-shapes`): the graph's declared shapes become static. */
import type { GraphProto, ModelProto, TensorShapeDimension, TypeProto, ValueInfoProto } from './onnx-types';
import { evaluateDimExpression, isDimExpression } from './dim-expression';
import { attributeGraphs } from './walk-model';

/** What {@link fixSymbolicDims} changed. */
export interface FixSymbolicDimsResult {
  /** How many dims of each name were replaced (graph inputs, outputs, value_info and subgraphs). */
  replaced: Record<string, number>;
  /** Graph outputs whose remaining symbolic dims were set from `outputShapes`. */
  outputsFromObservedShapes: string[];
  /** Symbolic dim names still left on the main graph's inputs after the fix (empty when all are static). */
  remainingInputDims: string[];
}

/** Options of {@link fixSymbolicDims}. */
export interface FixSymbolicDimsOptions {
  /**
   * Shapes the outputs were seen to have at exactly these sizes (from the source framework's
   * reference outputs or a run). A still-symbolic output dim is set from them when the rank matches.
   */
  outputShapes?: Record<string, readonly number[]>;
}

/** Rejects names, values and types that cannot be a static dim. */
export function checkStaticShapes(dims: Record<string, number>, parameter = 'staticShapes'): void {
  if (typeof dims !== 'object' || dims === null || Array.isArray(dims)) {
    throw new TypeError(`Parameter "${parameter}" must be an object of dim name -> size, received ${JSON.stringify(dims)}.`);
  }
  for (const [name, value] of Object.entries(dims)) {
    if (name === '') throw new RangeError(`Parameter "${parameter}" has an empty dim name.`);
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(`Parameter "${parameter}.${name}" must be a positive integer, received ${JSON.stringify(value)}.`);
    }
  }
}

function tensorShapeDims(type: TypeProto | undefined): TensorShapeDimension[] {
  const tensor = type?.tensorType ?? type?.sparseTensorType;
  if (tensor?.shape !== undefined) return tensor.shape.dim;
  const nested = type?.sequenceType?.elemType ?? type?.optionalType?.elemType ?? type?.mapType?.valueType;
  return nested === undefined ? [] : tensorShapeDims(nested);
}

function replaceInValue(value: ValueInfoProto, dims: Record<string, number>, replaced: Record<string, number>): void {
  for (const dimension of tensorShapeDims(value.type)) {
    const name = dimension.dimParam;
    if (name === undefined || name === '') continue;
    const size = Object.hasOwn(dims, name) ? dims[name] : isDimExpression(name) ? evaluateDimExpression(name, dims) : undefined;
    if (size === undefined) continue;
    dimension.dimValue = size;
    delete dimension.dimParam;
    replaced[name] = (replaced[name] ?? 0) + 1;
  }
}

function replaceInGraph(graph: GraphProto, dims: Record<string, number>, replaced: Record<string, number>): void {
  for (const value of [...graph.input, ...graph.output, ...graph.valueInfo]) replaceInValue(value, dims, replaced);
  for (const node of graph.node) for (const attribute of node.attribute) for (const subgraph of attributeGraphs(attribute)) replaceInGraph(subgraph, dims, replaced);
}

/**
 * Fixes the named symbolic dims of a model to sizes, in place, the way onnxruntime's
 * `make_dynamic_shape_fixed` does: every `dim_param` of that name on the graph's inputs, outputs and
 * value_info (subgraphs included) becomes that `dim_value`, and so does a dim expression of fixed
 * names (`past_sequence_length + sequence_length`, see {@link evaluateDimExpression}). Output dims that are still symbolic
 * afterwards (`sequence_length + past`) are set from `options.outputShapes` when given. Weights and
 * nodes are untouched, so the fixed model computes the same values at those sizes.
 *
 * @throws RangeError for a size that is not a positive integer.
 * @example
 * ```ts
 * const model = await loadOnnxModel('model.onnx');
 * fixSymbolicDims(model, { batch_size: 1, sequence_length: 128 });
 * ```
 */
export function fixSymbolicDims(model: ModelProto, dims: Record<string, number>, options: FixSymbolicDimsOptions = {}): FixSymbolicDimsResult {
  checkStaticShapes(dims);
  const replaced: Record<string, number> = {};
  const graph = model.graph;
  const outputsFromObservedShapes: string[] = [];
  if (graph === undefined) return { replaced, outputsFromObservedShapes, remainingInputDims: [] };
  replaceInGraph(graph, dims, replaced);
  for (const output of graph.output) {
    const observed = output.name === undefined ? undefined : options.outputShapes?.[output.name];
    const declared = tensorShapeDims(output.type);
    if (observed === undefined || observed.length !== declared.length) continue;
    let changed = false;
    declared.forEach((dimension, axis) => {
      if (dimension.dimValue !== undefined && dimension.dimParam === undefined) return;
      dimension.dimValue = observed[axis];
      delete dimension.dimParam;
      changed = true;
    });
    if (changed && output.name !== undefined) outputsFromObservedShapes.push(output.name);
  }
  // Intermediate value_info may still name dims derived from the fixed ones; they are hints only
  // and onnxruntime re-infers them, but a stale symbolic hint can disagree with the static input.
  graph.valueInfo = graph.valueInfo.filter((value) => !tensorShapeDims(value.type).some((dimension) => dimension.dimParam !== undefined && dimension.dimParam !== ''));
  const remaining = new Set<string>();
  for (const input of graph.input) {
    for (const dimension of tensorShapeDims(input.type)) if (dimension.dimParam !== undefined && dimension.dimParam !== '') remaining.add(dimension.dimParam);
  }
  return { replaced, outputsFromObservedShapes, remainingInputDims: [...remaining] };
}

/**
 * Parses `name=value,name=value` (the CLI's `--static-shapes`) into dim sizes.
 *
 * @throws RangeError naming the bad entry.
 * @example
 * ```ts
 * parseStaticShapes('batch_size=1,sequence_length=128'); // { batch_size: 1, sequence_length: 128 }
 * ```
 */
export function parseStaticShapes(text: string): Record<string, number> {
  const dims: Record<string, number> = {};
  for (const entry of text.split(',').map((part) => part.trim()).filter((part) => part !== '')) {
    const match = /^([^=\s]+)\s*=\s*(\d+)$/.exec(entry);
    if (match === null || Number(match[2]) < 1) {
      throw new RangeError(`--static-shapes: "${entry}" is not name=size with a positive integer size (e.g. batch_size=1,sequence_length=128).`);
    }
    dims[match[1] as string] = Number(match[2]);
  }
  if (Object.keys(dims).length === 0) throw new RangeError('--static-shapes needs at least one name=size (e.g. batch_size=1,sequence_length=128).');
  return dims;
}
