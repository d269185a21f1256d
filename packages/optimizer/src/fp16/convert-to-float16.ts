/** float32 -> float16 conversion of a model, with float32 inputs/outputs and an op block list. */
import path from 'node:path';
import type { ModelProto, NodeProto, TensorProto } from '@gpux/onnx';
import {
  AttributeType,
  DataType,
  createTensor,
  getAttribute,
  makeAttribute,
  makeNode,
  onnxModelSourcePath,
  outerScopeReferences,
  setAttribute,
  sortGraphTopologically,
  tensorToTypedArray,
} from '@gpux/onnx';
import { allNames, graphInputNames, mainGraph, renameOuterReads, replaceReads, uniqueName } from '../passes/graph-names';
import { removeUnusedNodes } from '../passes/remove-unused-nodes';
import { DEFAULT_FLOAT16_OP_BLOCK_LIST, FLOAT32_ONLY_INPUTS } from './float16-op-block-list';
import { toFloat16Tensor } from './float16-tensor';
import { inferElementTypes } from './infer-element-types';
import { countCastChains, removeRedundantCasts } from './remove-redundant-casts';

const FLOAT = DataType.FLOAT32;
const HALF = DataType.FLOAT16;
/** Operators whose float outputs do not follow their inputs' type: always kept in float32. */
const ALWAYS_FLOAT32 = new Set(['DynamicQuantizeLinear', 'DynamicQuantizeMatMul', 'MatMulIntegerToFloat', 'RandomNormal', 'RandomUniform', 'RandomNormalLike', 'Multinomial', 'Bernoulli', 'EyeLike']);

/** Options of {@link convertToFloat16}. */
export interface ConvertToFloat16Options {
  /** Keep float32 graph inputs and outputs, with Casts at the boundary. @default true */
  keepIoTypes?: boolean;
  /** Operator types kept in float32. @default {@link DEFAULT_FLOAT16_OP_BLOCK_LIST} */
  opBlockList?: readonly string[];
  /** Node names kept in float32. @default [] */
  nodeBlockList?: readonly string[];
  /** Non-zero weights smaller in magnitude are raised to this (float16's smallest subnormal). @default 5.96e-8 */
  minPositiveValue?: number;
  /** Weights larger in magnitude are clamped to this (float16's largest finite value). @default 65504 */
  maxFiniteValue?: number;
  /** Folder external data paths are relative to. @default the folder the model was loaded from */
  baseDirectory?: string;
}

/** What {@link convertToFloat16} did. */
export interface Float16Report {
  initializersConverted: number;
  /** Weight values changed by the min/max clamping. */
  valuesClamped: number;
  nodesInFloat16: number;
  /** Nodes kept in float32, with the reason. */
  nodesKeptInFloat32: Array<{ name: string; opType: string; reason: string }>;
  castsInserted: number;
  castsRemoved: number;
  /** Casts reading another Cast after the cleanup (0 unless the input model had such chains of non-float casts). */
  castChainsRemaining: number;
  notes: string[];
}

/**
 * Converts a model's float32 computation to float16 in place: float32 initializers become float16
 * (values clamped into float16's range), nodes run in float16 except blocked operators and nodes
 * (kept in float32 with Casts around them), Cast/Constant/ConstantOfShape produce float16,
 * value_info types follow, and with `keepIoTypes` the graph inputs and outputs stay float32 with
 * Casts at the boundary. Redundant Casts are then removed so no Cast reads another float Cast.
 * Nodes with subgraphs (If/Loop/Scan) stay float32 and their bodies are not converted.
 *
 * @throws {TypeError} when `model` has no graph; {@link RangeError} for bad clamp values.
 * @throws {ConversionError} INVALID_MODEL_FILE when the graph has a cycle or external data is missing.
 * @example
 * ```ts
 * const model = await loadOnnxModel('model.onnx');
 * const report = convertToFloat16(model, { opBlockList: [...DEFAULT_FLOAT16_OP_BLOCK_LIST, 'Softmax'] });
 * await saveOnnxModel(model, 'model_fp16.onnx');
 * ```
 */
export function convertToFloat16(model: ModelProto, options: ConvertToFloat16Options = {}): Float16Report {
  const graph = mainGraph(model, 'convertToFloat16');
  const minPositive = options.minPositiveValue ?? 5.96e-8;
  const maxFinite = options.maxFiniteValue ?? 65504;
  if (!(minPositive > 0) || !(maxFinite > minPositive) || maxFinite > 65504) {
    throw new RangeError(`convertToFloat16: need 0 < minPositiveValue < maxFiniteValue <= 65504, received minPositiveValue=${minPositive}, maxFiniteValue=${maxFinite}.`);
  }
  const keepIoTypes = options.keepIoTypes ?? true;
  const opBlockList = new Set(options.opBlockList ?? DEFAULT_FLOAT16_OP_BLOCK_LIST);
  const nodeBlockList = new Set(options.nodeBlockList ?? []);
  const source = onnxModelSourcePath(model);
  const baseDirectory = options.baseDirectory ?? (source === undefined ? undefined : path.dirname(source));
  sortGraphTopologically(graph);
  const originalTypes = inferElementTypes(graph);
  const isFloat = (name: string): boolean => name !== '' && originalTypes.get(name) === FLOAT;
  const names = allNames(graph);
  const report: Float16Report = { initializersConverted: 0, valuesClamped: 0, nodesInFloat16: 0, nodesKeptInFloat32: [], castsInserted: 0, castsRemoved: 0, castChainsRemaining: 0, notes: [] };

  const blockReason = (node: NodeProto): string | undefined => {
    const domain = node.domain ?? '';
    if (nodeBlockList.has(node.name ?? '')) return 'in nodeBlockList';
    if (opBlockList.has(node.opType ?? '')) return 'operator in opBlockList';
    if (ALWAYS_FLOAT32.has(node.opType ?? '')) return 'output type fixed to float32';
    if (domain === 'ai.onnx.ml') return 'ai.onnx.ml operator';
    if (node.attribute.some((attribute) => attribute.type === AttributeType.GRAPH || attribute.type === AttributeType.GRAPHS)) return 'has subgraphs (not converted)';
    return undefined;
  };
  const wants = (node: NodeProto, position: number, blocked: boolean): number =>
    blocked || (FLOAT32_ONLY_INPUTS.get(node.opType ?? '')?.includes(position) ?? false) ? FLOAT : HALF;

  // Representation of each float32 tensor after conversion.
  const representation = new Map<string, number>();
  const graphInputs = graphInputNames(graph);
  for (const name of graphInputs) if (isFloat(name)) representation.set(name, keepIoTypes ? FLOAT : HALF);
  const initializers = new Map<string, TensorProto>();
  for (const tensor of graph.initializer) if (!graphInputs.has(tensor.name ?? '') && tensor.dataType === FLOAT) initializers.set(tensor.name ?? '', tensor);
  const halfWanted = new Set<string>();
  for (const node of graph.node) {
    const blocked = blockReason(node) !== undefined;
    node.input.forEach((name, position) => {
      if (initializers.has(name) && wants(node, position, blocked) === HALF) halfWanted.add(name);
    });
  }
  graph.initializer = graph.initializer.map((tensor) => {
    const name = tensor.name ?? '';
    if (!initializers.has(name)) return tensor;
    if (!halfWanted.has(name)) {
      representation.set(name, FLOAT);
      return tensor;
    }
    representation.set(name, HALF);
    report.initializersConverted += 1;
    // One tensor at a time, read in chunks: only float16 results accumulate, never the float32 weights.
    const converted = toFloat16Tensor(tensor, { minPositive, maxFinite }, baseDirectory);
    report.valuesClamped += converted.valuesClamped;
    return converted.tensor;
  });

  const castCache = new Map<string, string>();
  const rebuilt: NodeProto[] = [];
  const castTo = (name: string, type: number): string => {
    const key = `${name}\u0000${type}`;
    const cached = castCache.get(key);
    if (cached !== undefined) return cached;
    const output = uniqueName(names, `${name}_${type === HALF ? 'fp16' : 'fp32'}`);
    rebuilt.push(makeNode('Cast', [name], [output], { name: uniqueName(names, `${output}_cast`), attributes: { to: type } }));
    representation.set(output, type);
    castCache.set(key, output);
    report.castsInserted += 1;
    return output;
  };
  for (const node of graph.node) {
    const reason = blockReason(node);
    const blocked = reason !== undefined;
    node.input.forEach((name, position) => {
      if (!isFloat(name)) return;
      const current = representation.get(name) ?? FLOAT;
      const desired = wants(node, position, blocked);
      if (current !== desired) node.input[position] = castTo(name, desired);
    });
    if (blocked) {
      for (const attribute of node.attribute) {
        for (const subgraph of attribute.g === undefined ? attribute.graphs : [attribute.g, ...attribute.graphs]) {
          for (const outer of outerScopeReferences(subgraph)) if (isFloat(outer) && representation.get(outer) === HALF) renameOuterReads(subgraph, outer, castTo(outer, FLOAT));
        }
      }
      report.nodesKeptInFloat32.push({ name: node.name ?? '', opType: node.opType ?? '', reason });
    } else {
      convertNodeAttributes(node);
      report.nodesInFloat16 += 1;
    }
    for (const output of node.output) if (isFloat(output)) representation.set(output, blocked ? FLOAT : HALF);
    rebuilt.push(node);
  }
  graph.node = rebuilt;

  // Graph outputs: float32 with keepIoTypes, else float16.
  for (const output of graph.output) {
    const name = output.name ?? '';
    if (!isFloat(name)) continue;
    const desired = keepIoTypes ? FLOAT : HALF;
    if (output.type?.tensorType !== undefined) output.type.tensorType.elemType = desired;
    if ((representation.get(name) ?? FLOAT) === desired || graphInputs.has(name)) continue;
    const inner = uniqueName(names, `${name}_${desired === FLOAT ? 'fp16' : 'fp32'}`);
    for (const node of graph.node) node.output.forEach((value, index) => { if (value === name) node.output[index] = inner; });
    replaceReads(graph, name, inner);
    representation.set(inner, representation.get(name) ?? FLOAT);
    graph.node.push(makeNode('Cast', [inner], [name], { name: uniqueName(names, `${name}_cast`), attributes: { to: desired } }));
    representation.set(name, desired);
    report.castsInserted += 1;
  }
  for (const input of graph.input) {
    if (!keepIoTypes && isFloat(input.name ?? '') && input.type?.tensorType !== undefined) input.type.tensorType.elemType = HALF;
  }
  for (const value of graph.valueInfo) {
    const type = representation.get(value.name ?? '');
    if (type !== undefined && value.type?.tensorType !== undefined) value.type.tensorType.elemType = type;
  }

  const finalTypes = new Map(originalTypes);
  for (const [name, type] of representation) finalTypes.set(name, type);
  report.castsRemoved = removeRedundantCasts(graph, finalTypes);
  removeUnusedNodes(model);
  report.castChainsRemaining = countCastChains(graph);
  if (report.nodesKeptInFloat32.length > 0) report.notes.push(`Kept ${report.nodesKeptInFloat32.length} node(s) in float32: ${summarize(report.nodesKeptInFloat32.map((node) => node.opType))}.`);
  if (report.valuesClamped > 0) report.notes.push(`Clamped ${report.valuesClamped} weight value(s) into float16's range [${minPositive}, ${maxFinite}].`);
  return report;
}

function summarize(operators: string[]): string {
  const counts = new Map<string, number>();
  for (const operator of operators) counts.set(operator, (counts.get(operator) ?? 0) + 1);
  return [...counts].map(([operator, count]) => `${count} ${operator}`).join(', ');
}

/** Float outputs of Cast, Constant and ConstantOfShape become float16 inside a float16 region. */
function convertNodeAttributes(node: NodeProto): void {
  const operator = node.opType ?? '';
  if ((node.domain ?? '') !== '') return;
  if (operator === 'Cast' && getAttribute(node, 'to')?.i === FLOAT) setAttribute(node, 'to', HALF);
  if (operator === 'Constant' || operator === 'ConstantOfShape') {
    const value = getAttribute(node, 'value');
    if (value?.t?.dataType === FLOAT) value.t = createTensor(value.t.name ?? '', HALF, value.t.dims.map(Number), tensorToTypedArray(value.t) as Float32Array);
    for (const name of ['value_float', 'value_floats']) {
      const attribute = getAttribute(node, name);
      if (attribute === undefined) continue;
      const floats = name === 'value_float' ? [attribute.f ?? 0] : attribute.floats;
      node.attribute = node.attribute.filter((entry) => entry !== attribute);
      node.attribute.push(makeAttribute('value', createTensor('', HALF, name === 'value_float' ? [] : [floats.length], floats)));
    }
  }
}
