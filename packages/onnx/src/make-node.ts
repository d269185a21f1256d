/** Builders for nodes, value infos, graphs and models with every repeated field present. */
import type { AttributeTypeName, AttributeValue } from './attributes';
import { makeAttribute } from './attributes';
import { dataTypeFromName } from './data-type';
import type { GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorProto, ValueInfoProto } from './onnx-types';

/** Options of {@link makeNode}. */
export interface MakeNodeOptions {
  name?: string;
  /** Operator domain; omit for the default ONNX domain. */
  domain?: string;
  /** Attributes by name; a `[value, type]` pair fixes the type (`[1, 'float']`). */
  attributes?: Record<string, AttributeValue | [AttributeValue, AttributeTypeName]>;
  overload?: string;
  docString?: string;
}

/**
 * Builds a node.
 *
 * @example
 * ```ts
 * const node = makeNode('Softmax', ['logits'], ['probabilities'], { name: 'softmax', attributes: { axis: -1 } });
 * ```
 */
export function makeNode(opType: string, inputs: string[], outputs: string[], options: MakeNodeOptions = {}): NodeProto {
  const node: NodeProto = {
    input: [...inputs],
    output: [...outputs],
    opType,
    attribute: [],
    metadataProps: [],
    deviceConfigurations: [],
  };
  if (options.name !== undefined) node.name = options.name;
  if (options.domain !== undefined) node.domain = options.domain;
  if (options.overload !== undefined) node.overload = options.overload;
  if (options.docString !== undefined) node.docString = options.docString;
  for (const [name, entry] of Object.entries(options.attributes ?? {})) {
    // A two-item array whose second item is a type name is a [value, type] pair.
    const typed = Array.isArray(entry) && entry.length === 2 && isAttributeTypeName(entry[1]);
    node.attribute.push(
      typed ? makeAttribute(name, entry[0], entry[1] as AttributeTypeName) : makeAttribute(name, entry as AttributeValue),
    );
  }
  return node;
}

const ATTRIBUTE_TYPE_NAMES = new Set<string>([
  'float', 'int', 'string', 'tensor', 'graph', 'floats', 'ints', 'strings', 'tensors', 'graphs',
  'sparse_tensor', 'sparse_tensors', 'type_proto', 'type_protos',
]);

function isAttributeTypeName(value: unknown): value is AttributeTypeName {
  return typeof value === 'string' && ATTRIBUTE_TYPE_NAMES.has(value);
}

/**
 * Builds a tensor value info. `dims`: numbers are fixed sizes, strings symbolic names, null an
 * unknown dimension; omit `dims` for an unknown rank.
 *
 * @example
 * ```ts
 * makeValueInfo('input_ids', 'int64', ['batch', 'sequence']);
 * ```
 */
export function makeValueInfo(name: string, elementType: number | string, dims?: Array<number | string | null>): ValueInfoProto {
  const elemType = typeof elementType === 'string' ? dataTypeFromName(elementType) : elementType;
  const shape =
    dims === undefined
      ? undefined
      : {
          dim: dims.map((dim) => (dim === null ? {} : typeof dim === 'string' ? { dimParam: dim } : { dimValue: dim })),
        };
  return {
    name,
    type: { tensorType: shape === undefined ? { elemType } : { elemType, shape } },
    metadataProps: [],
  };
}

/** Options of {@link makeGraph}. */
export interface MakeGraphOptions {
  initializer?: TensorProto[];
  valueInfo?: ValueInfoProto[];
  docString?: string;
}

/** Builds a graph. */
export function makeGraph(nodes: NodeProto[], name: string, inputs: ValueInfoProto[], outputs: ValueInfoProto[], options: MakeGraphOptions = {}): GraphProto {
  const graph: GraphProto = {
    node: nodes,
    name,
    initializer: options.initializer ?? [],
    input: inputs,
    output: outputs,
    valueInfo: options.valueInfo ?? [],
    quantizationAnnotation: [],
    sparseInitializer: [],
    metadataProps: [],
  };
  if (options.docString !== undefined) graph.docString = options.docString;
  return graph;
}

/** Options of {@link makeModel}. */
export interface MakeModelOptions {
  /** @default [{ domain: '', version: 21 }] */
  opsetImports?: OperatorSetIdProto[];
  /** @default 10 (onnxruntime >= 1.17 reads it) */
  irVersion?: number;
  /** @default 'gpux-convert' */
  producerName?: string;
  producerVersion?: string;
}

/** Builds a model around a graph. */
export function makeModel(graph: GraphProto, options: MakeModelOptions = {}): ModelProto {
  const model: ModelProto = {
    irVersion: options.irVersion ?? 10,
    producerName: options.producerName ?? 'gpux-convert',
    graph,
    opsetImport: options.opsetImports ?? [{ domain: '', version: 21 }],
    metadataProps: [],
    trainingInfo: [],
    functions: [],
    configuration: [],
  };
  if (options.producerVersion !== undefined) model.producerVersion = options.producerVersion;
  return model;
}
