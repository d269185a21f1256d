/** Constant folding: nodes whose inputs are all constants become initializers. */
import type { GraphProto, ModelProto, NodeProto, TensorProto } from '@gpux/onnx';
import { AttributeType, DataType, getAttribute, onnxModelSourcePath } from '@gpux/onnx';
import path from 'node:path';
import { CONSTANT_EVALUATORS, shapeOf } from './constant-evaluators';
import { constantFromTensor, constantToTensor, type ConstantTensor } from './constant-tensor';
import { graphInputNames, graphOutputNames, mainGraph } from './graph-names';
import { passReport, type PassReport } from './pass-report';

/** A folded result above this size is not stored beside a weight that other nodes still read. */
const sharedWeightCopyLimitBytes = 64 * 1024;

/** Options of {@link foldConstants}. */
export interface FoldConstantsOptions {
  /** Folder that external data paths are relative to. @default the folder the model was loaded from */
  baseDirectory?: string;
}

/**
 * Evaluates nodes whose inputs are all constants (initializers, Constant nodes, values already
 * folded) and replaces them by initializers: Constant, Cast, Reshape, Transpose, Unsqueeze,
 * Squeeze, Concat, Gather, Shape, ConstantOfShape, Range, Slice, and Add/Sub/Mul/Div on small
 * tensors. Shape also folds when its input's shape is fully known from graph inputs or value_info.
 * Other operators, nodes with subgraphs, and nodes producing graph outputs are left alone, and so
 * is a node whose result (over 64 KiB) would copy a weight that other nodes also read.
 * Initializers that are also graph inputs can be overridden at run time and are not constants.
 *
 * @throws {TypeError} when `model` has no graph.
 * @example
 * ```ts
 * foldConstants(model).counts.nodesFolded;
 * ```
 */
export function foldConstants(model: ModelProto, options: FoldConstantsOptions = {}): PassReport {
  const graph = mainGraph(model, 'foldConstants');
  const source = onnxModelSourcePath(model);
  const baseDirectory = options.baseDirectory ?? (source === undefined ? undefined : path.dirname(source));
  const opset = model.opsetImport.find((entry) => (entry.domain ?? '') === '' || entry.domain === 'ai.onnx')?.version ?? 1;
  const inputs = graphInputNames(graph);
  const outputs = graphOutputNames(graph);
  const initializers = new Map<string, TensorProto>();
  for (const tensor of graph.initializer) if (!inputs.has(tensor.name ?? '')) initializers.set(tensor.name ?? '', tensor);
  const staticShapes = knownShapes(graph);
  const computed = new Map<string, ConstantTensor>();
  const constantValue = (name: string): ConstantTensor | undefined => {
    const known = computed.get(name);
    if (known !== undefined) return known;
    const tensor = initializers.get(name);
    const value = tensor === undefined ? undefined : constantFromTensor(tensor, baseDirectory);
    if (value !== undefined) computed.set(name, value);
    return value;
  };

  // How many nodes read each initializer: folding a Transpose/Cast/Reshape of a weight that other
  // nodes also read would store the weight twice (e.g. GPT-2's tied embedding and lm_head).
  const readers = new Map<string, number>();
  for (const node of graph.node) for (const name of new Set(node.input)) readers.set(name, (readers.get(name) ?? 0) + 1);
  const duplicatesSharedWeight = (node: NodeProto, results: ConstantTensor[]): boolean =>
    results.some((result) => result.values.byteLength > sharedWeightCopyLimitBytes) &&
    node.input.some((name) => initializers.has(name) && (readers.get(name) ?? 0) > 1);

  const newInitializers: TensorProto[] = [];
  const folded = new Set<NodeProto>();
  let sharedWeightsKept = 0;
  const byOperator: Record<string, number> = {};
  for (const node of graph.node) {
    if ((node.domain ?? '') !== '' || node.output.some((name) => outputs.has(name))) continue;
    if (node.attribute.some((attribute) => attribute.type === AttributeType.GRAPH || attribute.type === AttributeType.GRAPHS)) continue;
    const results = evaluate(node, opset, constantValue, staticShapes, initializers);
    if (results === undefined || results.length !== node.output.filter((name) => name !== '').length) continue;
    if (duplicatesSharedWeight(node, results)) {
      sharedWeightsKept += 1;
      continue;
    }
    node.output.forEach((name, index) => {
      const value = results[index];
      if (name === '' || value === undefined) return;
      computed.set(name, value);
      newInitializers.push(constantToTensor(name, value));
    });
    folded.add(node);
    const operator = node.opType ?? '';
    byOperator[operator] = (byOperator[operator] ?? 0) + 1;
  }
  graph.node = graph.node.filter((node) => !folded.has(node));
  graph.initializer.push(...newInitializers);
  const notes = Object.keys(byOperator).length > 0 ? [`Folded ${Object.entries(byOperator).map(([operator, count]) => `${count} ${operator}`).join(', ')}.`] : [];
  if (sharedWeightsKept > 0) notes.push(`Kept ${sharedWeightsKept} node(s) unfolded whose result would duplicate a weight that other nodes also read.`);
  return passReport('fold-constants', { nodesFolded: folded.size, initializersAdded: newInitializers.length }, notes);
}

function evaluate(
  node: NodeProto,
  opset: number,
  constantValue: (name: string) => ConstantTensor | undefined,
  staticShapes: Map<string, number[]>,
  initializers: Map<string, TensorProto>,
): ConstantTensor[] | undefined {
  const operator = node.opType ?? '';
  if (operator === 'Constant') return constantNodeValue(node);
  if (operator === 'Shape') {
    const input = node.input[0] ?? '';
    const dims = staticShapes.get(input) ?? (initializers.has(input) ? initializers.get(input)!.dims.map(Number) : constantValue(input)?.dims);
    return dims === undefined ? undefined : [shapeOf(node, dims)];
  }
  const evaluator = CONSTANT_EVALUATORS.get(operator);
  if (evaluator === undefined) return undefined;
  const values: Array<ConstantTensor | undefined> = [];
  for (const name of node.input) {
    if (name === '') {
      values.push(undefined);
      continue;
    }
    const value = constantValue(name);
    if (value === undefined) return undefined;
    values.push(value);
  }
  try {
    return evaluator(node, values, opset);
  } catch (error) {
    if (error instanceof RangeError) return undefined;
    throw error;
  }
}

function constantNodeValue(node: NodeProto): ConstantTensor[] | undefined {
  const tensor = getAttribute(node, 'value')?.t;
  if (tensor !== undefined) {
    const value = constantFromTensor(tensor);
    return value === undefined ? undefined : [value];
  }
  const floatAttribute = getAttribute(node, 'value_float');
  if (floatAttribute !== undefined) return [{ dataType: DataType.FLOAT32, dims: [], values: new Float32Array([floatAttribute.f ?? 0]) }];
  const floatsAttribute = getAttribute(node, 'value_floats');
  if (floatsAttribute !== undefined) return [{ dataType: DataType.FLOAT32, dims: [floatsAttribute.floats.length], values: Float32Array.from(floatsAttribute.floats) }];
  const intAttribute = getAttribute(node, 'value_int');
  if (intAttribute !== undefined) return [{ dataType: DataType.INT64, dims: [], values: BigInt64Array.from([BigInt(intAttribute.i ?? 0)]) }];
  const intsAttribute = getAttribute(node, 'value_ints');
  if (intsAttribute !== undefined) return [{ dataType: DataType.INT64, dims: [intsAttribute.ints.length], values: BigInt64Array.from(intsAttribute.ints, (value) => BigInt(value)) }];
  return undefined;
}

/** Shapes whose every dimension is a fixed number, from inputs, outputs and value_info. */
export function knownShapes(graph: GraphProto): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  for (const value of [...graph.input, ...graph.valueInfo, ...graph.output]) {
    const dims = value.type?.tensorType?.shape?.dim;
    if (value.name === undefined || dims === undefined) continue;
    if (dims.every((dim) => typeof dim.dimValue === 'number' && dim.dimParam === undefined)) shapes.set(value.name, dims.map((dim) => dim.dimValue!));
  }
  return shapes;
}
