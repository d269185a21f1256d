/**
 * The graph view the fusions match patterns on: producers and consumers by tensor name, constant
 * values (initializers, Constant nodes, Identity of either), and the edits a fusion makes (add nodes
 * and initializers, remove the nodes whose outputs a fused node takes over).
 */
import type { GraphProto, ModelProto, NodeProto, TensorProto } from '@gpux/onnx';
import { createTensor, getAttribute, getIntsAttribute, makeNode, nodeInputNames, tensorElementCount, tensorToTypedArray } from '@gpux/onnx';

/** A constant tensor's dims and values (as numbers; int64 converted). */
export interface ConstantValue {
  dims: number[];
  dataType: number;
  values: Float32Array | Float64Array | number[];
  tensor: TensorProto;
}

/** The operator domain of Microsoft's contrib ops (Attention, SkipLayerNormalization, ...). */
export const MICROSOFT_DOMAIN = 'com.microsoft';

/** Graph index plus editing helpers; call {@link FusionGraph.refresh} after a batch of edits. */
export class FusionGraph {
  readonly graph: GraphProto;
  private producers = new Map<string, NodeProto>();
  private consumers = new Map<string, NodeProto[]>();
  private initializers = new Map<string, TensorProto>();
  private outputs = new Set<string>();
  private readonly names = new Set<string>();
  private readonly constants = new Map<string, ConstantValue | null>();
  private readonly removed = new Set<NodeProto>();
  private counter = 0;

  constructor(
    readonly model: ModelProto,
    readonly modelDirectory?: string,
  ) {
    if (model.graph === undefined) throw new TypeError('applyTransformerFusions: parameter "model" has no graph.');
    this.graph = model.graph;
    this.refresh();
  }

  /** Rebuilds the indexes from `graph.node` (dropping removed nodes). */
  refresh(): void {
    if (this.removed.size > 0) this.graph.node = this.graph.node.filter((node) => !this.removed.has(node));
    this.removed.clear();
    this.producers = new Map();
    this.consumers = new Map();
    this.initializers = new Map(this.graph.initializer.map((tensor) => [tensor.name ?? '', tensor]));
    this.outputs = new Set(this.graph.output.map((value) => value.name ?? ''));
    this.constants.clear();
    for (const name of this.initializers.keys()) this.names.add(name);
    for (const value of this.graph.input) this.names.add(value.name ?? '');
    for (const node of this.graph.node) {
      if (node.name !== undefined) this.names.add(node.name);
      for (const output of node.output) {
        if (output === '') continue;
        this.producers.set(output, node);
        this.names.add(output);
      }
      for (const input of nodeInputNames(node)) {
        const list = this.consumers.get(input);
        if (list === undefined) this.consumers.set(input, [node]);
        else list.push(node);
      }
    }
  }

  /** The node that computes `name`, optionally only when it has the given op type (default domain). */
  producer(name: string | undefined, opType?: string): NodeProto | undefined {
    if (name === undefined || name === '') return undefined;
    const node = this.producers.get(name);
    if (node === undefined || this.removed.has(node)) return undefined;
    if (opType !== undefined && (node.opType !== opType || (node.domain ?? '') !== '')) return undefined;
    return node;
  }

  /** The nodes that read `name`. */
  consumersOf(name: string): NodeProto[] {
    return (this.consumers.get(name) ?? []).filter((node) => !this.removed.has(node));
  }

  /** Whether `name` is read by anything other than `allowed` nodes (graph outputs count as readers). */
  usedOutside(name: string, allowed: readonly NodeProto[]): boolean {
    if (this.outputs.has(name)) return true;
    return this.consumersOf(name).some((node) => !allowed.includes(node));
  }

  isGraphInput(name: string): boolean {
    return this.graph.input.some((value) => value.name === name) && !this.initializers.has(name);
  }

  /** The constant behind `name` (initializer, Constant node, Identity of a constant), or undefined. */
  constant(name: string | undefined): ConstantValue | undefined {
    if (name === undefined || name === '') return undefined;
    if (this.constants.has(name)) return this.constants.get(name) ?? undefined;
    const value = this.resolveConstant(name) ?? null;
    this.constants.set(name, value);
    return value ?? undefined;
  }

  /** The single value of a one-element constant, or undefined. */
  scalar(name: string | undefined): number | undefined {
    const value = this.constant(name);
    if (value === undefined || value.values.length !== 1) return undefined;
    return Number(value.values[0]);
  }

  /** The first input of `node` that is a one-element constant, with the index of the other input. */
  scalarOperand(node: NodeProto): { value: number; other: string } | undefined {
    for (const index of [1, 0]) {
      const value = this.scalar(node.input[index]);
      const other = node.input[1 - index];
      if (value !== undefined && other !== undefined) return { value, other };
    }
    return undefined;
  }

  /** Int values of an attribute (`perm`, ...). */
  ints(node: NodeProto, name: string): number[] | undefined {
    return getIntsAttribute(node, name);
  }

  /** A fresh name that is not used in the graph. */
  uniqueName(prefix: string): string {
    let name = prefix;
    while (this.names.has(name)) {
      this.counter += 1;
      name = `${prefix}_${this.counter}`;
    }
    this.names.add(name);
    return name;
  }

  /** Adds a float32 (or other) initializer under a fresh name; returns the name. */
  addInitializer(prefix: string, dataType: string, dims: number[], values: Float32Array | Int32Array | BigInt64Array | number[]): string {
    const name = this.uniqueName(prefix);
    const tensor = createTensor(name, dataType, dims, values);
    this.graph.initializer.push(tensor);
    this.initializers.set(name, tensor);
    return name;
  }

  /** Appends a node (sorted later) and indexes its outputs. */
  addNode(opType: string, inputs: string[], outputs: string[], options: Parameters<typeof makeNode>[3] = {}): NodeProto {
    const node = makeNode(opType, inputs, outputs, { ...options, name: this.uniqueName(options.name ?? opType) });
    this.graph.node.push(node);
    for (const output of outputs) if (output !== '') this.producers.set(output, node);
    for (const input of inputs) {
      if (input === '') continue;
      const list = this.consumers.get(input);
      if (list === undefined) this.consumers.set(input, [node]);
      else list.push(node);
    }
    return node;
  }

  /** Marks nodes removed (their outputs must be taken over by a new node or be dead). */
  remove(...nodes: NodeProto[]): void {
    for (const node of nodes) this.removed.add(node);
  }

  private resolveConstant(name: string): ConstantValue | undefined {
    const initializer = this.initializers.get(name);
    if (initializer !== undefined) return this.fromTensor(initializer);
    const node = this.producers.get(name);
    if (node === undefined || (node.domain ?? '') !== '') return undefined;
    if (node.opType === 'Identity') return this.constant(node.input[0]);
    if (node.opType !== 'Constant') return undefined;
    const attribute = node.attribute[0];
    if (attribute === undefined) return undefined;
    if (attribute.name === 'value' && attribute.t !== undefined) return this.fromTensor(attribute.t);
    const tensor = getAttribute(node, attribute.name ?? '');
    if (attribute.name === 'value_float' && tensor?.f !== undefined) return this.fromTensor(createTensor(name, 'float32', [], [tensor.f]));
    if (attribute.name === 'value_int' && tensor?.i !== undefined) return this.fromTensor(createTensor(name, 'int64', [], [Number(tensor.i)]));
    if (attribute.name === 'value_ints' && tensor !== undefined) {
      const values = getIntsAttribute(node, 'value_ints') ?? [];
      return this.fromTensor(createTensor(name, 'int64', [values.length], values));
    }
    if (attribute.name === 'value_floats' && tensor !== undefined) {
      return this.fromTensor(createTensor(name, 'float32', [tensor.floats.length], Array.from(tensor.floats)));
    }
    return undefined;
  }

  private fromTensor(tensor: TensorProto): ConstantValue | undefined {
    if (tensorElementCount(tensor) > 1 << 26) return undefined;
    const data = tensorToTypedArray(tensor, { baseDirectory: this.modelDirectory });
    let values: ConstantValue['values'];
    if (data instanceof Float32Array || data instanceof Float64Array) values = data;
    else if (data instanceof BigInt64Array || data instanceof BigUint64Array) values = Array.from(data, (value) => Number(value));
    else values = Array.from(data);
    return { dims: [...tensor.dims], dataType: tensor.dataType ?? 0, values, tensor };
  }
}
