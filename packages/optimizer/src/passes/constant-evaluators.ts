/**
 * Evaluation of a safe set of ONNX operators on constant inputs, for constant folding. Each
 * evaluator returns the outputs, or undefined when the case is not handled (then nothing folds).
 */
import type { NodeProto, TensorProto } from '@gpux/onnx';
import {
  DataType,
  bfloat16BitsToFloat32,
  float16BitsToFloat32,
  float32ToBfloat16Bits,
  float32ToFloat16Bits,
  getAttribute,
  getIntAttribute,
  getIntsAttribute,
} from '@gpux/onnx';
import {
  allocateValues,
  constantFromTensor,
  constantNumbers,
  elementCount,
  int64Constant,
  isBigIntValues,
  isFoldableType,
  normalizeAxis,
  stridesOf,
  type ConstantTensor,
} from './constant-tensor';

/** Inputs of an evaluator: constants by input position (undefined for an omitted optional input). */
export type ConstantInputs = ReadonlyArray<ConstantTensor | undefined>;
type Evaluator = (node: NodeProto, inputs: ConstantInputs, opset: number) => ConstantTensor[] | undefined;

/** Arithmetic is folded only on tensors up to this many elements ("small tensors"). */
export const MAX_ARITHMETIC_ELEMENTS = 65_536;

/** Copies elements into a new tensor of `dims`, reading source element `source(outputIndex)`. */
function remap(input: ConstantTensor, dims: number[], source: (index: number[]) => number): ConstantTensor {
  const count = elementCount(dims);
  const values = allocateValues(input.dataType, count);
  const index = new Array<number>(dims.length).fill(0);
  for (let flat = 0; flat < count; flat += 1) {
    (values as unknown as unknown[])[flat] = (input.values as unknown as unknown[])[source(index)];
    for (let axis = dims.length - 1; axis >= 0; axis -= 1) {
      index[axis]! += 1;
      if (index[axis]! < dims[axis]!) break;
      index[axis] = 0;
    }
  }
  return { dataType: input.dataType, dims, values };
}

function withDims(input: ConstantTensor, dims: number[]): ConstantTensor {
  return { dataType: input.dataType, dims, values: input.values };
}

function castValue(value: number | bigint, to: number): number | bigint | undefined {
  if (to === DataType.INT64 || to === DataType.UINT64) {
    if (typeof value === 'bigint') return value;
    return Number.isFinite(value) ? BigInt(Math.trunc(value)) : undefined;
  }
  const number = Number(value);
  switch (to) {
    case DataType.FLOAT32:
    case DataType.FLOAT64:
      return number;
    case DataType.FLOAT16:
      return float16BitsToFloat32(float32ToFloat16Bits(number));
    case DataType.BFLOAT16:
      return bfloat16BitsToFloat32(float32ToBfloat16Bits(number));
    case DataType.BOOL:
      return number !== 0 ? 1 : 0;
    default:
      return Number.isFinite(number) ? Math.trunc(number) : undefined;
  }
}

const cast: Evaluator = (node, [input]) => {
  const to = getIntAttribute(node, 'to');
  if (input === undefined || to === undefined || !isFoldableType(to)) return undefined;
  const values = allocateValues(to, input.values.length);
  for (let index = 0; index < values.length; index += 1) {
    const converted = castValue(input.values[index]!, to);
    if (converted === undefined) return undefined;
    (values as unknown as Array<number | bigint>)[index] = converted;
  }
  return [{ dataType: to, dims: [...input.dims], values }];
};

const reshape: Evaluator = (node, [input, shapeInput], opset) => {
  if (input === undefined) return undefined;
  const requested = opset >= 5 ? (shapeInput === undefined ? undefined : constantNumbers(shapeInput)) : getIntsAttribute(node, 'shape');
  if (requested === undefined) return undefined;
  const allowZero = getIntAttribute(node, 'allowzero', 0) === 1;
  const dims = requested.map((dim, axis) => (dim === 0 && !allowZero ? input.dims[axis] ?? 0 : dim));
  const inferred = dims.indexOf(-1);
  if (inferred >= 0) {
    const known = dims.reduce((product, dim, axis) => (axis === inferred ? product : product * dim), 1);
    if (known === 0) return undefined;
    dims[inferred] = input.values.length / known;
  }
  if (elementCount(dims) !== input.values.length || dims.some((dim) => !Number.isInteger(dim) || dim < 0)) return undefined;
  return [withDims(input, dims)];
};

const transpose: Evaluator = (node, [input]) => {
  if (input === undefined) return undefined;
  const rank = input.dims.length;
  const perm = getIntsAttribute(node, 'perm') ?? input.dims.map((_, axis) => rank - 1 - axis);
  const strides = stridesOf(input.dims);
  const dims = perm.map((axis) => input.dims[axis]!);
  return [remap(input, dims, (index) => index.reduce((offset, position, axis) => offset + position * strides[perm[axis]!]!, 0))];
};

function axesOf(node: NodeProto, input: ConstantTensor | undefined, opset: number): number[] | undefined {
  if (opset >= 13) return input === undefined ? undefined : constantNumbers(input);
  return getIntsAttribute(node, 'axes');
}

const unsqueeze: Evaluator = (node, [input, axesInput], opset) => {
  const axes = axesOf(node, axesInput, opset);
  if (input === undefined || axes === undefined) return undefined;
  const rank = input.dims.length + axes.length;
  const normalized = new Set(axes.map((axis) => normalizeAxis(axis, rank)));
  const dims: number[] = [];
  let next = 0;
  for (let axis = 0; axis < rank; axis += 1) dims.push(normalized.has(axis) ? 1 : input.dims[next++]!);
  return [withDims(input, dims)];
};

const squeeze: Evaluator = (node, [input, axesInput], opset) => {
  if (input === undefined) return undefined;
  const axes = axesOf(node, axesInput, opset);
  const rank = input.dims.length;
  const removed = new Set(axes === undefined ? input.dims.flatMap((dim, axis) => (dim === 1 ? [axis] : [])) : axes.map((axis) => normalizeAxis(axis, rank)));
  if ([...removed].some((axis) => input.dims[axis] !== 1)) return undefined;
  return [withDims(input, input.dims.filter((_, axis) => !removed.has(axis)))];
};

const concat: Evaluator = (node, inputs) => {
  const parts = inputs.filter((input): input is ConstantTensor => input !== undefined);
  const first = parts[0];
  if (first === undefined || parts.length !== inputs.length || parts.some((part) => part.dataType !== first.dataType)) return undefined;
  const axis = normalizeAxis(getIntAttribute(node, 'axis', 0)!, first.dims.length);
  const dims = [...first.dims];
  dims[axis] = parts.reduce((sum, part) => sum + part.dims[axis]!, 0);
  const outer = elementCount(first.dims.slice(0, axis));
  const values = allocateValues(first.dataType, elementCount(dims));
  let offset = 0;
  for (let block = 0; block < outer; block += 1) {
    for (const part of parts) {
      const size = part.values.length / outer;
      (values as Float64Array).set((part.values as Float64Array).subarray(block * size, (block + 1) * size), offset);
      offset += size;
    }
  }
  return [{ dataType: first.dataType, dims, values }];
};

const gather: Evaluator = (node, [data, indicesInput]) => {
  if (data === undefined || indicesInput === undefined || data.values.length > MAX_ARITHMETIC_ELEMENTS) return undefined;
  const axis = normalizeAxis(getIntAttribute(node, 'axis', 0)!, data.dims.length);
  const size = data.dims[axis]!;
  const indices = constantNumbers(indicesInput).map((index) => (index < 0 ? index + size : index));
  if (indices.some((index) => index < 0 || index >= size)) return undefined;
  const dims = [...data.dims.slice(0, axis), ...indicesInput.dims, ...data.dims.slice(axis + 1)];
  const strides = stridesOf(data.dims);
  const indexRank = indicesInput.dims.length;
  const indexStrides = stridesOf(indicesInput.dims);
  return [
    remap(data, dims, (index) => {
      let offset = 0;
      for (let position = 0; position < axis; position += 1) offset += index[position]! * strides[position]!;
      let flatIndex = 0;
      for (let position = 0; position < indexRank; position += 1) flatIndex += index[axis + position]! * indexStrides[position]!;
      offset += indices[flatIndex]! * strides[axis]!;
      for (let position = axis + 1; position < data.dims.length; position += 1) offset += index[position - 1 + indexRank]! * strides[position]!;
      return offset;
    }),
  ];
};

function broadcastDims(left: number[], right: number[]): number[] | undefined {
  const rank = Math.max(left.length, right.length);
  const dims: number[] = [];
  for (let axis = 0; axis < rank; axis += 1) {
    const a = left[axis - rank + left.length] ?? 1;
    const b = right[axis - rank + right.length] ?? 1;
    if (a !== b && a !== 1 && b !== 1) return undefined;
    dims.push(a === 1 ? b : a);
  }
  return dims;
}

function broadcastOffset(dims: number[], input: ConstantTensor): (index: number[]) => number {
  const strides = stridesOf(input.dims);
  const shift = dims.length - input.dims.length;
  return (index) => {
    let offset = 0;
    for (let axis = 0; axis < input.dims.length; axis += 1) if (input.dims[axis] !== 1) offset += index[axis + shift]! * strides[axis]!;
    return offset;
  };
}

type NumberOperation = (a: number, b: number) => number;
type BigIntOperation = (a: bigint, b: bigint) => bigint;

function binary(numberOperation: NumberOperation, bigintOperation: BigIntOperation, integerDivision = false): Evaluator {
  return (_node, [left, right]) => {
    if (left === undefined || right === undefined || left.dataType !== right.dataType || left.dataType === DataType.BOOL) return undefined;
    const dims = broadcastDims(left.dims, right.dims);
    if (dims === undefined || elementCount(dims) > MAX_ARITHMETIC_ELEMENTS) return undefined;
    const leftOffset = broadcastOffset(dims, left);
    const rightOffset = broadcastOffset(dims, right);
    const isFloat = [DataType.FLOAT32, DataType.FLOAT64, DataType.FLOAT16, DataType.BFLOAT16].includes(left.dataType);
    const values = allocateValues(left.dataType, elementCount(dims));
    const index = new Array<number>(dims.length).fill(0);
    for (let flat = 0; flat < values.length; flat += 1) {
      const a = left.values[leftOffset(index)]!;
      const b = right.values[rightOffset(index)]!;
      if (isBigIntValues(left.values)) {
        if (integerDivision && b === 0n) return undefined;
        (values as BigInt64Array)[flat] = bigintOperation(a as bigint, b as bigint);
      } else {
        if (integerDivision && !isFloat && b === 0) return undefined;
        const result = numberOperation(a as number, b as number);
        (values as Float64Array)[flat] = integerDivision && !isFloat ? Math.trunc(result) : (castValue(result, left.dataType) as number);
      }
      for (let axis = dims.length - 1; axis >= 0; axis -= 1) {
        index[axis]! += 1;
        if (index[axis]! < dims[axis]!) break;
        index[axis] = 0;
      }
    }
    return [{ dataType: left.dataType, dims, values }];
  };
}

const constantOfShape: Evaluator = (node, [shape]) => {
  if (shape === undefined) return undefined;
  const dims = constantNumbers(shape);
  const attribute: TensorProto | undefined = getAttribute(node, 'value')?.t;
  const fill = attribute === undefined ? { dataType: DataType.FLOAT32, dims: [1], values: new Float32Array([0]) } : constantFromTensor(attribute);
  if (fill === undefined || elementCount(dims) > MAX_ARITHMETIC_ELEMENTS) return undefined;
  const values = allocateValues(fill.dataType, elementCount(dims));
  (values as Float64Array).fill(fill.values[0] as number);
  return [{ dataType: fill.dataType, dims, values }];
};

const range: Evaluator = (_node, [start, limit, delta]) => {
  if (start === undefined || limit === undefined || delta === undefined) return undefined;
  const [first, last, step] = [start, limit, delta].map((input) => Number(input.values[0]));
  if (step === 0 || !Number.isFinite(first! + last! + step!)) return undefined;
  const count = Math.max(Math.ceil((last! - first!) / step!), 0);
  if (count > MAX_ARITHMETIC_ELEMENTS) return undefined;
  const values = allocateValues(start.dataType, count);
  for (let index = 0; index < count; index += 1) (values as unknown as Array<number | bigint>)[index] = castValue(first! + index * step!, start.dataType)!;
  return [{ dataType: start.dataType, dims: [count], values }];
};

const slice: Evaluator = (node, inputs, opset) => {
  const data = inputs[0];
  if (data === undefined) return undefined;
  const read = (position: number, attribute: string): number[] | undefined => {
    if (opset < 10) return getIntsAttribute(node, attribute);
    const input = inputs[position];
    return input === undefined ? undefined : constantNumbers(input);
  };
  const starts = read(1, 'starts');
  const ends = read(2, 'ends');
  if (starts === undefined || ends === undefined || (opset >= 10 && node.input.slice(1, 5).some((name, position) => name !== '' && inputs[position + 1] === undefined))) return undefined;
  const axes = read(3, 'axes') ?? starts.map((_, axis) => axis);
  const steps = (opset >= 10 ? read(4, 'steps') : undefined) ?? starts.map(() => 1);
  const rank = data.dims.length;
  const begin = data.dims.map(() => 0);
  const step = data.dims.map(() => 1);
  const dims = [...data.dims];
  for (const [position, rawAxis] of axes.entries()) {
    const axis = normalizeAxis(rawAxis, rank);
    const size = data.dims[axis]!;
    const stride = steps[position]!;
    if (stride === 0) return undefined;
    let from = starts[position]!;
    let to = ends[position]!;
    if (from < 0) from += size;
    if (to < 0) to += size;
    if (stride > 0) {
      from = Math.min(Math.max(from, 0), size);
      to = Math.min(Math.max(to, 0), size);
    } else {
      from = Math.min(Math.max(from, 0), size - 1);
      to = Math.min(Math.max(to, -1), size - 1);
    }
    begin[axis] = from;
    step[axis] = stride;
    dims[axis] = Math.max(Math.ceil((to - from) / stride), 0);
  }
  const strides = stridesOf(data.dims);
  return [remap(data, dims, (index) => index.reduce((offset, position, axis) => offset + (begin[axis]! + position * step[axis]!) * strides[axis]!, 0))];
};

/** The dims a Shape node (with opset-15 start/end, clamped as the spec says) reads of `dims`. */
export function shapeWindow<T>(node: NodeProto, dims: readonly T[]): T[] {
  const rank = dims.length;
  const clamp = (value: number): number => Math.min(Math.max(value < 0 ? value + rank : value, 0), rank);
  const start = clamp(getIntAttribute(node, 'start', 0)!);
  const end = clamp(getIntAttribute(node, 'end', rank)!);
  return dims.slice(start, Math.max(start, end));
}

/** Shape (with opset-15 start/end) of known dims. */
export function shapeOf(node: NodeProto, dims: readonly number[]): ConstantTensor {
  return int64Constant(shapeWindow(node, dims));
}

const shape: Evaluator = (node, [input]) => (input === undefined ? undefined : [shapeOf(node, input.dims)]);

/** Evaluators of the default-domain operators the folder handles. */
export const CONSTANT_EVALUATORS: ReadonlyMap<string, Evaluator> = new Map<string, Evaluator>([
  ['Cast', cast],
  ['Reshape', reshape],
  ['Transpose', transpose],
  ['Unsqueeze', unsqueeze],
  ['Squeeze', squeeze],
  ['Concat', concat],
  ['Gather', gather],
  ['Add', binary((a, b) => a + b, (a, b) => a + b)],
  ['Sub', binary((a, b) => a - b, (a, b) => a - b)],
  ['Mul', binary((a, b) => a * b, (a, b) => a * b)],
  ['Div', binary((a, b) => a / b, (a, b) => a / b, true)],
  ['ConstantOfShape', constantOfShape],
  ['Range', range],
  ['Slice', slice],
  ['Shape', shape],
]);
