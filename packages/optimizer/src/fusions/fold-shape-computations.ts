/**
 * Folds the shape computations that feed Reshape nodes (`Shape -> Gather/Slice -> Squeeze/Unsqueeze
 * -> Concat` chains, as the TorchScript exporter writes for every `x.view(...)`) once the fusions
 * have run. Tensor shapes are followed symbolically from the graph inputs: a dim is a number times
 * a product of symbols (the inputs' `dim_param`s, or one symbol per unnamed input dim), so
 * `[batch, sequence, 256]` flattened to `[-1, 256]` has the dim `batch*sequence`. A Reshape whose
 * target shape is then known is rewritten:
 *
 * - to a constant shape, when every dim is a number, copies the data's dim at the same position
 *   (written as 0), or is the one dim left (written as -1);
 * - else to `Concat` of constant pieces and `Shape(input, start, end)` slices of a graph input that
 *   holds the missing symbols (shared by every Reshape that needs them; opset 15 and up).
 *
 * The chains left without readers are removed by the caller. Nothing is rewritten when a shape is
 * not known, so the result computes the same shapes as before.
 */
import type { NodeProto, TensorProto, ValueInfoProto } from '@gpux/onnx';
import { getIntAttribute, getIntsAttribute, sortGraphTopologically } from '@gpux/onnx';
import { shapeWindow } from '../passes/constant-evaluators';
import type { FusionGraph } from './fusion-graph';
import { MICROSOFT_DOMAIN } from './fusion-graph';

/** `coefficient * product(symbols)`; symbols sorted, a symbol may repeat. */
export interface SymbolicDim {
  coefficient: number;
  symbols: string[];
}

/** An int64 tensor of rank 0 or 1 whose values are known as dims. */
type Dim = SymbolicDim;

interface SymbolicValue {
  scalar: boolean;
  values: Dim[];
}

const MAX_SYMBOLIC_VALUES = 16;

const numberDim = (value: number): Dim => ({ coefficient: value, symbols: [] });
const isNumber = (dim: Dim): boolean => dim.symbols.length === 0;
const sameDim = (a: Dim, b: Dim): boolean =>
  a.coefficient === b.coefficient && a.symbols.length === b.symbols.length && a.symbols.every((symbol, index) => symbol === b.symbols[index]);

function multiply(a: Dim, b: Dim): Dim {
  return { coefficient: a.coefficient * b.coefficient, symbols: [...a.symbols, ...b.symbols].sort() };
}

/** `a / b`, or undefined when it does not divide exactly. */
function divide(a: Dim, b: Dim): Dim | undefined {
  if (b.coefficient === 0 || a.coefficient % b.coefficient !== 0) return undefined;
  const symbols = [...a.symbols];
  for (const symbol of b.symbols) {
    const index = symbols.indexOf(symbol);
    if (index === -1) return undefined;
    symbols.splice(index, 1);
  }
  return { coefficient: a.coefficient / b.coefficient, symbols };
}

const product = (dims: readonly Dim[]): Dim => dims.reduce(multiply, numberDim(1));

/** Elementwise operators whose first output has their first input's shape. */
const SAME_SHAPE = new Set([
  'Abs',
  'BiasGelu',
  'Cast',
  'Dropout',
  'Erf',
  'Exp',
  'FastGelu',
  'Gelu',
  'Identity',
  'LayerNormalization',
  'Log',
  'Neg',
  'QuickGelu',
  'Reciprocal',
  'Relu',
  'Sigmoid',
  'SkipLayerNormalization',
  'Softmax',
  'Sqrt',
  'Tanh',
]);
const BROADCAST = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Where', 'Equal', 'Less', 'Greater', 'And', 'Or']);

class ShapeTracker {
  readonly shapes = new Map<string, Dim[]>();
  readonly values = new Map<string, SymbolicValue>();

  constructor(private readonly graph: FusionGraph) {
    for (const tensor of graph.graph.initializer) this.shapes.set(tensor.name ?? '', tensor.dims.map((dim) => numberDim(Number(dim))));
    for (const input of graph.graph.input) {
      const name = input.name ?? '';
      if (this.shapes.has(name)) continue;
      const dims = inputDims(input);
      if (dims !== undefined) this.shapes.set(name, dims);
    }
  }

  shape(name: string | undefined): Dim[] | undefined {
    return name === undefined || name === '' ? undefined : this.shapes.get(name);
  }

  /** The symbolic value of an int64 tensor: constants, or what the shape chain computed. */
  value(name: string | undefined): SymbolicValue | undefined {
    if (name === undefined || name === '') return undefined;
    const known = this.values.get(name);
    if (known !== undefined) return known;
    const constant = this.graph.constant(name);
    if (constant === undefined || constant.dims.length > 1 || constant.values.length > MAX_SYMBOLIC_VALUES) return undefined;
    if (!Array.from(constant.values as ArrayLike<number>).every((value) => Number.isInteger(value))) return undefined;
    return { scalar: constant.dims.length === 0, values: Array.from(constant.values as ArrayLike<number>, (value) => numberDim(value)) };
  }

  visit(node: NodeProto): void {
    const output = node.output[0] ?? '';
    if (output === '') return;
    const value = this.evaluateValue(node);
    if (value !== undefined) this.values.set(output, value);
    const shape = this.inferShape(node);
    if (shape !== undefined) this.shapes.set(output, shape);
    else if (value !== undefined) this.shapes.set(output, value.scalar ? [] : [numberDim(value.values.length)]);
  }

  private inferShape(node: NodeProto): Dim[] | undefined {
    const op = node.opType ?? '';
    const domain = node.domain ?? '';
    const input = this.shape(node.input[0]);
    if (domain === MICROSOFT_DOMAIN) return this.inferMicrosoftShape(node, input);
    if (domain !== '') return undefined;
    if (SAME_SHAPE.has(op)) return input;
    if (BROADCAST.has(op)) return broadcast(node.input.map((name) => this.shape(name)));
    switch (op) {
      case 'Constant': {
        const constant = this.graph.constant(node.output[0]);
        return constant === undefined ? undefined : constant.dims.map((dim) => numberDim(dim));
      }
      case 'Range': {
        const [start, limit, delta] = [1, 2, 3].map((index) => this.value(node.input[index - 1]));
        if (start === undefined || limit === undefined || delta === undefined) return undefined;
        if (!sameDim(delta.values[0]!, numberDim(1)) || !sameDim(start.values[0]!, numberDim(0))) return undefined;
        return [limit.values[0]!];
      }
      case 'Unsqueeze':
      case 'Squeeze': {
        const axes = node.input[1] !== undefined && node.input[1] !== '' ? this.value(node.input[1]) : undefined;
        const list = axes !== undefined ? axes.values.map((dim) => (isNumber(dim) ? dim.coefficient : Number.NaN)) : getIntsAttribute(node, 'axes');
        if (input === undefined || list === undefined || list.some((axis) => Number.isNaN(axis))) return undefined;
        if (op === 'Squeeze') {
          const drop = new Set(list.map((axis) => (axis < 0 ? axis + input.length : axis)));
          return input.filter((_, index) => !drop.has(index));
        }
        const rank = input.length + list.length;
        const insert = new Set(list.map((axis) => (axis < 0 ? axis + rank : axis)));
        const result: Dim[] = [];
        let next = 0;
        for (let index = 0; index < rank; index += 1) result.push(insert.has(index) ? numberDim(1) : input[next++]!);
        return next === input.length ? result : undefined;
      }
      case 'Gather': {
        const indices = this.shape(node.input[1]);
        if (input === undefined || indices === undefined) return undefined;
        const axis = normalize(getIntAttribute(node, 'axis', 0) ?? 0, input.length);
        return axis === undefined ? undefined : [...input.slice(0, axis), ...indices, ...input.slice(axis + 1)];
      }
      case 'Gemm': {
        const b = this.shape(node.input[1]);
        if (input?.length !== 2 || b?.length !== 2) return undefined;
        const m = getIntAttribute(node, 'transA', 0) === 1 ? input[1] : input[0];
        const n = getIntAttribute(node, 'transB', 0) === 1 ? b[0] : b[1];
        return m === undefined || n === undefined ? undefined : [m, n];
      }
      case 'MatMul': {
        const b = this.shape(node.input[1]);
        if (input === undefined || input.length < 2 || b === undefined || b.length < 2) return undefined;
        if (b.length === 2) return [...input.slice(0, -1), b[1]!];
        const batch = broadcast([input.slice(0, -2), b.slice(0, -2)]);
        return batch === undefined ? undefined : [...batch, input.at(-2)!, b.at(-1)!];
      }
      case 'Transpose': {
        if (input === undefined) return undefined;
        const perm = getIntsAttribute(node, 'perm') ?? input.map((_, index) => input.length - 1 - index);
        return perm.length === input.length ? perm.map((axis) => input[axis]!) : undefined;
      }
      case 'Reshape':
        return this.reshapeResult(node);
      default:
        return undefined;
    }
  }

  private inferMicrosoftShape(node: NodeProto, input: Dim[] | undefined): Dim[] | undefined {
    const op = node.opType ?? '';
    if (SAME_SHAPE.has(op)) return input;
    if (op === 'Attention') {
      if (input?.length !== 3) return undefined;
      const sizes = getIntsAttribute(node, 'qkv_hidden_sizes');
      const bias = this.shape(node.input[2]);
      const hidden = sizes !== undefined ? sizes[2] : bias?.length === 1 && isNumber(bias[0]!) ? bias[0]!.coefficient / 3 : undefined;
      return hidden === undefined || !Number.isInteger(hidden) ? undefined : [input[0]!, input[1]!, numberDim(hidden)];
    }
    if (op === 'MultiHeadAttention') return input?.length === 3 ? input : undefined;
    if (op === 'EmbedLayerNormalization') {
      const words = this.shape(node.input[2]);
      return input?.length === 2 && words?.length === 2 ? [input[0]!, input[1]!, words[1]!] : undefined;
    }
    return undefined;
  }

  /** The Reshape's output dims, resolving 0 (copy) and -1 (the rest) against the data's dims. */
  reshapeResult(node: NodeProto): Dim[] | undefined {
    const data = this.shape(node.input[0]);
    const target = this.value(node.input[1]);
    if (data === undefined || target === undefined || target.scalar) return undefined;
    const allowZero = getIntAttribute(node, 'allowzero', 0) === 1;
    const dims: Array<Dim | undefined> = target.values.map((dim, index) => {
      if (isNumber(dim) && dim.coefficient === 0 && !allowZero) return data[index];
      if (isNumber(dim) && dim.coefficient === -1) return undefined;
      return dim;
    });
    const missing = dims.filter((dim) => dim === undefined).length;
    if (missing === 0) return dims as Dim[];
    if (missing > 1) return undefined;
    const rest = divide(
      product(data),
      product(dims.filter((dim): dim is Dim => dim !== undefined)),
    );
    return rest === undefined ? undefined : dims.map((dim) => dim ?? rest);
  }

  private evaluateValue(node: NodeProto): SymbolicValue | undefined {
    if ((node.domain ?? '') !== '') return undefined;
    switch (node.opType) {
      case 'Shape': {
        const dims = this.shape(node.input[0]);
        return dims === undefined ? undefined : { scalar: false, values: shapeWindow(node, dims) };
      }
      case 'Identity':
        return this.value(node.input[0]);
      case 'Cast':
        // int64 or int32 (tf2onnx's shape arithmetic goes through int32 and back).
        return [6, 7].includes(getIntAttribute(node, 'to') ?? 0) ? this.value(node.input[0]) : undefined;
      case 'Gather': {
        const data = this.value(node.input[0]);
        const indices = this.value(node.input[1]);
        if (data === undefined || data.scalar || indices === undefined || (getIntAttribute(node, 'axis', 0) ?? 0) !== 0) return undefined;
        const picked: Dim[] = [];
        for (const index of indices.values) {
          if (!isNumber(index)) return undefined;
          const position = normalize(index.coefficient, data.values.length);
          if (position === undefined) return undefined;
          picked.push(data.values[position]!);
        }
        return { scalar: indices.scalar, values: picked };
      }
      case 'Slice':
        return this.sliceValue(node);
      case 'Squeeze': {
        const data = this.value(node.input[0]);
        return data !== undefined && !data.scalar && data.values.length === 1 ? { scalar: true, values: data.values } : undefined;
      }
      case 'Unsqueeze': {
        const data = this.value(node.input[0]);
        return data?.scalar === true ? { scalar: false, values: data.values } : undefined;
      }
      case 'Concat': {
        if ((getIntAttribute(node, 'axis', 0) ?? 0) !== 0) return undefined;
        const parts = node.input.map((name) => this.value(name));
        if (parts.some((part) => part === undefined || part.scalar)) return undefined;
        const values = parts.flatMap((part) => part!.values);
        return values.length <= MAX_SYMBOLIC_VALUES ? { scalar: false, values } : undefined;
      }
      case 'Max': {
        const parts = node.input.map((name) => this.value(name));
        if (parts.some((part) => part === undefined) || parts.length === 0) return undefined;
        const length = Math.max(...parts.map((part) => part!.values.length));
        const values: Dim[] = [];
        for (let index = 0; index < length; index += 1) {
          const dims = parts.map((part) => (part!.values.length === 1 ? part!.values[0]! : part!.values[index]!));
          // Only the max of equal dims (or of plain numbers) is known.
          if (dims.every((dim) => sameDim(dim, dims[0]!))) values.push(dims[0]!);
          else if (dims.every(isNumber)) values.push(numberDim(Math.max(...dims.map((dim) => dim.coefficient))));
          else return undefined;
        }
        return { scalar: parts.every((part) => part!.scalar), values };
      }
      case 'ReduceProd': {
        const data = this.value(node.input[0]);
        const axes = node.input[1] === undefined || node.input[1] === '' ? getIntsAttribute(node, 'axes') : undefined;
        if (data === undefined || data.scalar || (node.input[1] !== undefined && node.input[1] !== '') || (axes !== undefined && !(axes.length === 1 && (axes[0] === 0 || axes[0] === -1)))) return undefined;
        return { scalar: getIntAttribute(node, 'keepdims', 1) !== 1, values: [product(data.values)] };
      }
      case 'Mul': {
        const a = this.value(node.input[0]);
        const b = this.value(node.input[1]);
        if (a === undefined || b === undefined || a.values.length !== b.values.length) return undefined;
        return { scalar: a.scalar && b.scalar, values: a.values.map((dim, index) => multiply(dim, b.values[index]!)) };
      }
      default:
        return undefined;
    }
  }

  private sliceValue(node: NodeProto): SymbolicValue | undefined {
    const data = this.value(node.input[0]);
    const starts = this.value(node.input[1]);
    const ends = this.value(node.input[2]);
    if (data === undefined || data.scalar || starts?.values.length !== 1 || ends?.values.length !== 1) return undefined;
    const axes = node.input[3] === undefined || node.input[3] === '' ? undefined : this.value(node.input[3]);
    const steps = node.input[4] === undefined || node.input[4] === '' ? undefined : this.value(node.input[4]);
    if (axes !== undefined && (axes.values.length !== 1 || !sameDim(axes.values[0]!, numberDim(0)) && !sameDim(axes.values[0]!, numberDim(-1)))) return undefined;
    if (steps !== undefined && (steps.values.length !== 1 || !sameDim(steps.values[0]!, numberDim(1)))) return undefined;
    const [start, end] = [starts.values[0]!, ends.values[0]!];
    if (!isNumber(start) || !isNumber(end)) return undefined;
    const length = data.values.length;
    const from = normalizeClamped(start.coefficient, length);
    const to = normalizeClamped(end.coefficient, length);
    return { scalar: false, values: data.values.slice(from, Math.max(from, to)) };
  }
}

function inputDims(input: ValueInfoProto): Dim[] | undefined {
  const shape = input.type?.tensorType?.shape;
  if (shape === undefined) return undefined;
  return shape.dim.map((dim, index) => {
    if (dim.dimValue !== undefined && Number(dim.dimValue) > 0) return numberDim(Number(dim.dimValue));
    const symbol = dim.dimParam !== undefined && dim.dimParam !== '' ? dim.dimParam : `${input.name ?? ''}:${index}`;
    return { coefficient: 1, symbols: [symbol] };
  });
}

function broadcast(shapes: Array<Dim[] | undefined>): Dim[] | undefined {
  if (shapes.some((shape) => shape === undefined)) return undefined;
  const rank = Math.max(...shapes.map((shape) => shape!.length));
  const result: Dim[] = [];
  for (let position = 0; position < rank; position += 1) {
    let dim: Dim | undefined;
    for (const shape of shapes as Dim[][]) {
      const candidate = shape[shape.length - rank + position];
      if (candidate === undefined || sameDim(candidate, numberDim(1))) continue;
      if (dim === undefined) dim = candidate;
      else if (!sameDim(dim, candidate)) return undefined;
    }
    result.push(dim ?? numberDim(1));
  }
  return result;
}

function normalize(index: number, length: number): number | undefined {
  const position = index < 0 ? index + length : index;
  return position >= 0 && position < length ? position : undefined;
}

function normalizeClamped(index: number, length: number): number {
  const position = index < 0 ? index + length : index;
  return Math.min(Math.max(position, 0), length);
}

/** Symbolic dims of every tensor whose shape can be followed from the graph inputs (see the module comment). */
export function inferSymbolicShapes(graph: FusionGraph): (name: string) => SymbolicDim[] | undefined {
  const tracker = new ShapeTracker(graph);
  // Fusions append their nodes: visit producers before readers.
  sortGraphTopologically(graph.graph);
  for (const node of graph.graph.node) tracker.visit(node);
  return (name) => tracker.shape(name);
}

/** Whether two symbolic shapes are the same dims. */
export function sameShape(a: readonly SymbolicDim[] | undefined, b: readonly SymbolicDim[] | undefined): boolean {
  return a !== undefined && b !== undefined && a.length === b.length && a.every((dim, index) => sameDim(dim, b[index]!));
}

/** One piece of a rewritten shape: constant numbers, or a slice of a graph input's shape. */
type Piece = { numbers: number[] } | { input: string; start: number; end: number };

/**
 * Rewrites the shape input of every Reshape whose target is known symbolically (see the module
 * comment); returns how many were rewritten.
 */
export function foldShapeComputations(graph: FusionGraph, opsetVersion: number): number {
  const tracker = new ShapeTracker(graph);
  const constants = new Map<string, string>();
  const slices = new Map<string, string>();
  const concats = new Map<string, string>();
  const sources = symbolSources(graph);
  let rewritten = 0;
  sortGraphTopologically(graph.graph);
  for (const node of [...graph.graph.node]) {
    tracker.visit(node);
    if (node.opType !== 'Reshape' || (node.domain ?? '') !== '' || graph.constant(node.input[1]) !== undefined) continue;
    const target = tracker.value(node.input[1]);
    const data = tracker.shape(node.input[0]);
    if (target === undefined || target.scalar || data === undefined) continue;
    const allowZero = getIntAttribute(node, 'allowzero', 0) === 1;
    const pieces = shapePieces(target.values, data, allowZero, sources, opsetVersion);
    if (pieces === undefined) continue;
    node.input[1] = materialize(graph, pieces, { constants, slices, concats });
    rewritten += 1;
  }
  return rewritten;
}

function shapePieces(
  target: Dim[],
  data: Dim[],
  allowZero: boolean,
  sources: Map<string, { input: string; index: number }>,
  opsetVersion: number,
): Piece[] | undefined {
  const written: Array<number | Dim> = target.map((dim, index) => {
    if (isNumber(dim)) return dim.coefficient;
    if (!allowZero && data[index] !== undefined && sameDim(data[index], dim)) return 0;
    return dim;
  });
  const symbolic = written.filter((entry): entry is Dim => typeof entry !== 'number');
  if (symbolic.length === 1 && !written.includes(-1)) {
    return [{ numbers: written.map((entry) => (typeof entry === 'number' ? entry : -1)) }];
  }
  if (symbolic.length === 0) return [{ numbers: written as number[] }];
  if (opsetVersion < 15) return undefined;
  const pieces: Piece[] = [];
  for (const entry of written) {
    const last = pieces.at(-1);
    if (typeof entry === 'number') {
      if (last !== undefined && 'numbers' in last) last.numbers.push(entry);
      else pieces.push({ numbers: [entry] });
      continue;
    }
    if (entry.coefficient !== 1 || entry.symbols.length !== 1) return undefined;
    const source = sources.get(entry.symbols[0]!);
    if (source === undefined) return undefined;
    if (last !== undefined && 'input' in last && last.input === source.input && last.end === source.index) last.end += 1;
    else pieces.push({ input: source.input, start: source.index, end: source.index + 1 });
  }
  return pieces;
}

/** For each symbol, a graph input and the position where its shape has it. */
function symbolSources(graph: FusionGraph): Map<string, { input: string; index: number }> {
  const sources = new Map<string, { input: string; index: number }>();
  const initializers = new Set(graph.graph.initializer.map((tensor: TensorProto) => tensor.name ?? ''));
  for (const input of graph.graph.input) {
    if (initializers.has(input.name ?? '')) continue;
    for (const [index, dim] of (inputDims(input) ?? []).entries()) {
      const symbol = dim.symbols[0];
      if (dim.symbols.length === 1 && dim.coefficient === 1 && symbol !== undefined && !sources.has(symbol)) {
        sources.set(symbol, { input: input.name ?? '', index });
      }
    }
  }
  return sources;
}

function materialize(
  graph: FusionGraph,
  pieces: Piece[],
  caches: { constants: Map<string, string>; slices: Map<string, string>; concats: Map<string, string> },
): string {
  const names = pieces.map((piece) => {
    if ('numbers' in piece) {
      const key = piece.numbers.join(',');
      let name = caches.constants.get(key);
      if (name === undefined) {
        name = graph.addInitializer('folded_shape', 'int64', [piece.numbers.length], BigInt64Array.from(piece.numbers, (value) => BigInt(value)));
        caches.constants.set(key, name);
      }
      return name;
    }
    const key = `${piece.input}[${piece.start}:${piece.end}]`;
    let name = caches.slices.get(key);
    if (name === undefined) {
      name = graph.uniqueName(`${piece.input}_shape_${piece.start}_${piece.end}`);
      graph.addNode('Shape', [piece.input], [name], { name: 'FoldedShape', attributes: { start: piece.start, end: piece.end } });
      caches.slices.set(key, name);
    }
    return name;
  });
  if (names.length === 1) return names[0]!;
  const key = names.join('|');
  let output = caches.concats.get(key);
  if (output === undefined) {
    output = graph.uniqueName('folded_shape');
    graph.addNode('Concat', names, [output], { name: 'FoldedShapeConcat', attributes: { axis: 0 } });
    caches.concats.set(key, output);
  }
  return output;
}
