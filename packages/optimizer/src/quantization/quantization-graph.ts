/**
 * The editing state of one quantization run over a graph: initializers by name, fresh names,
 * cached quantized weights and activations, and the new node list built in topological order.
 */
import type { GraphProto, ModelProto, NodeProto, TensorProto } from '@gpux/onnx';
import { DataType, createTensor, getIntsAttribute, makeNode, tensorToTypedArray } from '@gpux/onnx';

/** A constant weight behind a node input: the initializer, and whether a Transpose sits in between. */
export interface WeightSource {
  tensor: TensorProto;
  /** True when the input is `Transpose(perm [1, 0])` of the 2-D initializer. */
  transposed: boolean;
}

/** Node attributes accepted by {@link QuantizationGraph.node}. */
export type NodeAttributes = NonNullable<Parameters<typeof makeNode>[3]>['attributes'];

/** The editing state of one quantization pass. */
export class QuantizationGraph {
  readonly graph: GraphProto;
  /** Initializers by name (graph inputs that shadow an initializer are excluded). */
  readonly initializers = new Map<string, TensorProto>();
  /** Nodes built so far, in order. */
  readonly output: NodeProto[] = [];
  /** Values created once and reused by later nodes (dynamic activations, quantized weights). */
  readonly cache = new Map<string, unknown>();
  private readonly names = new Set<string>();
  private readonly producers = new Map<string, NodeProto>();
  private readonly baseDirectory: string | undefined;

  constructor(model: ModelProto, baseDirectory?: string) {
    if (model.graph === undefined) throw new TypeError('QuantizationGraph: the model has no graph.');
    this.graph = model.graph;
    this.baseDirectory = baseDirectory;
    const graphInputs = new Set(this.graph.input.map((value) => value.name ?? ''));
    for (const tensor of this.graph.initializer) {
      const name = tensor.name ?? '';
      this.names.add(name);
      if (!graphInputs.has(name)) this.initializers.set(name, tensor);
    }
    for (const value of this.graph.input) this.names.add(value.name ?? '');
    for (const node of this.graph.node) {
      for (const name of node.output) {
        this.names.add(name);
        this.producers.set(name, node);
      }
      if (node.name !== undefined) this.names.add(node.name);
    }
  }

  /** A name not used in the graph yet, derived from `base`. */
  uniqueName(base: string): string {
    let name = base;
    for (let counter = 1; this.names.has(name); counter += 1) name = `${base}_${counter}`;
    this.names.add(name);
    return name;
  }

  /**
   * The float32 initializer behind `name` (directly, or through Identity nodes, as exporters
   * deduplicating constants write them), or undefined when it is not a float32 constant.
   */
  floatInitializer(name: string | undefined): TensorProto | undefined {
    let current = name;
    for (let depth = 0; current !== undefined && current !== '' && depth < 8; depth += 1) {
      const tensor = this.initializers.get(current);
      if (tensor !== undefined) return tensor.dataType === DataType.FLOAT32 ? tensor : undefined;
      const producer = this.producers.get(current);
      if (producer?.opType !== 'Identity' || (producer.domain ?? '') !== '') return undefined;
      current = producer.input[0];
    }
    return undefined;
  }

  /** The constant weight behind a MatMul input: an initializer (through Identity) or a 2-D Transpose of one. */
  weightSource(name: string | undefined): WeightSource | undefined {
    const direct = this.floatInitializer(name);
    if (direct !== undefined) return { tensor: direct, transposed: false };
    const producer = name === undefined ? undefined : this.producers.get(name);
    if (producer?.opType !== 'Transpose' || (producer.domain ?? '') !== '') return undefined;
    const tensor = this.floatInitializer(producer.input[0]);
    const perm = getIntsAttribute(producer, 'perm', [1, 0]);
    if (tensor === undefined || tensor.dims.length !== 2 || perm?.[0] !== 1 || perm[1] !== 0) return undefined;
    return { tensor, transposed: true };
  }

  /** Reads a float32 initializer's values (from disk for external data; the caller drops them). */
  readFloat(tensor: TensorProto): Float32Array {
    return tensorToTypedArray(tensor, { baseDirectory: this.baseDirectory }) as Float32Array;
  }

  /** Adds an initializer under a fresh name derived from `base`; returns the name. */
  addInitializer(base: string, dataType: number | string, dims: number[], values: Parameters<typeof createTensor>[3]): string {
    const name = this.uniqueName(base);
    const tensor = createTensor(name, dataType, dims, values);
    this.graph.initializer.push(tensor);
    this.initializers.set(name, tensor);
    return name;
  }

  /** Appends a node (named uniquely from `base`) to the output list. */
  node(opType: string, inputs: string[], outputs: string[], base: string, attributes?: NodeAttributes, domain?: string): NodeProto {
    const node = makeNode(opType, inputs, outputs, { name: this.uniqueName(base), attributes, domain });
    this.output.push(node);
    return node;
  }

  /** Returns the cached value for `key`, computing and storing it on first use. */
  once<Value>(key: string, create: () => Value): Value {
    if (this.cache.has(key)) return this.cache.get(key) as Value;
    const value = create();
    this.cache.set(key, value);
    return value;
  }

  /**
   * Replaces the graph's nodes with the built list and drops initializers that nothing reads any
   * more (the float weights that were quantized).
   */
  finish(): void {
    const used = new Set<string>();
    const countUses = (): void => {
      used.clear();
      for (const node of this.output) for (const name of node.input) used.add(name);
      for (const value of this.graph.output) used.add(value.name ?? '');
    };
    // Transpose/Identity nodes that only fed weights which are now quantized are dead: drop them.
    for (let changed = true; changed; ) {
      countUses();
      const before = this.output.length;
      const alive = this.output.filter((node) => !((node.opType === 'Transpose' || node.opType === 'Identity') && (node.domain ?? '') === '' && node.output.every((name) => !used.has(name))));
      this.output.length = 0;
      this.output.push(...alive);
      changed = alive.length !== before;
    }
    this.graph.node = this.output;
    countUses();
    const graphInputs = new Set(this.graph.input.map((value) => value.name ?? ''));
    this.graph.initializer = this.graph.initializer.filter((tensor) => used.has(tensor.name ?? '') || graphInputs.has(tensor.name ?? ''));
    const kept = new Set(this.graph.initializer.map((tensor) => tensor.name ?? ''));
    this.graph.valueInfo = this.graph.valueInfo.filter((value) => !this.initializers.has(value.name ?? '') || kept.has(value.name ?? ''));
  }
}

/** Adds an opset import for a domain when the model lacks one. */
export function ensureOpsetImport(model: ModelProto, domain: string, version: number): void {
  if (!model.opsetImport.some((entry) => (entry.domain ?? '') === domain)) model.opsetImport.push({ domain, version });
}

/** The default-domain opset version of a model (0 when absent). */
export function defaultOpsetVersion(model: ModelProto): number {
  return model.opsetImport.find((entry) => (entry.domain ?? '') === '' || entry.domain === 'ai.onnx')?.version ?? 0;
}
