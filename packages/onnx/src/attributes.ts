/** Reading and writing node attributes by name. */
import type { AttributeProto, GraphProto, Int64, NodeProto, SparseTensorProto, TensorProto, TypeProto } from './onnx-types';
import { AttributeType } from './onnx-types';

const utf8Decoder = new TextDecoder();
const utf8Encoder = new TextEncoder();

/** A JS value an attribute can hold. */
export type AttributeValue =
  | number
  | bigint
  | string
  | Uint8Array
  | TensorProto
  | GraphProto
  | SparseTensorProto
  | TypeProto
  | number[]
  | Int64[]
  | string[]
  | TensorProto[]
  | GraphProto[];

/** An attribute type name for {@link makeAttribute} when inference is not wanted. */
export type AttributeTypeName = Lowercase<Exclude<keyof typeof AttributeType, 'UNDEFINED'>>;

/** An empty AttributeProto with every repeated field present. */
export function emptyAttribute(name: string): AttributeProto {
  return { name, floats: [], ints: [], strings: [], tensors: [], graphs: [], typeProtos: [], sparseTensors: [] };
}

function isTensor(value: unknown): value is TensorProto {
  return typeof value === 'object' && value !== null && 'dims' in value && 'int64Data' in value;
}

function isGraph(value: unknown): value is GraphProto {
  return typeof value === 'object' && value !== null && 'node' in value && 'initializer' in value;
}

function inferType(value: AttributeValue): AttributeTypeName {
  if (typeof value === 'bigint') return 'int';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'string' || value instanceof Uint8Array) return 'string';
  if (Array.isArray(value)) {
    const first: unknown = value[0];
    if (typeof first === 'string') return 'strings';
    if (isTensor(first)) return 'tensors';
    if (isGraph(first)) return 'graphs';
    return (value as Array<number | bigint>).every((item) => typeof item === 'bigint' || Number.isInteger(item)) ? 'ints' : 'floats';
  }
  if (isTensor(value)) return 'tensor';
  if (isGraph(value)) return 'graph';
  if ('values' in value) return 'sparse_tensor';
  return 'type_proto';
}

/**
 * Builds an attribute. The type is inferred (integers -> INT, other numbers -> FLOAT, arrays
 * likewise) unless given: pass `'float'` / `'floats'` for whole-number floats.
 *
 * @example
 * ```ts
 * makeAttribute('axis', -1); // INT
 * makeAttribute('epsilon', 1e-5); // FLOAT
 * makeAttribute('scale', 1, 'float'); // FLOAT 1.0
 * ```
 */
export function makeAttribute(name: string, value: AttributeValue, type?: AttributeTypeName): AttributeProto {
  const kind = type ?? inferType(value);
  const attribute = emptyAttribute(name);
  attribute.type = AttributeType[kind.toUpperCase() as keyof typeof AttributeType];
  switch (kind) {
    case 'float': attribute.f = Number(value); break;
    case 'int': attribute.i = value as Int64; break;
    case 'string': attribute.s = typeof value === 'string' ? utf8Encoder.encode(value) : (value as Uint8Array); break;
    case 'tensor': attribute.t = value as TensorProto; break;
    case 'graph': attribute.g = value as GraphProto; break;
    case 'sparse_tensor': attribute.sparseTensor = value as SparseTensorProto; break;
    case 'type_proto': attribute.tp = value as TypeProto; break;
    case 'floats': attribute.floats = (value as number[]).map(Number); break;
    case 'ints': attribute.ints = [...(value as Int64[])]; break;
    case 'strings': attribute.strings = (value as string[]).map((item) => utf8Encoder.encode(item)); break;
    case 'tensors': attribute.tensors = [...(value as TensorProto[])]; break;
    case 'graphs': attribute.graphs = [...(value as GraphProto[])]; break;
    case 'sparse_tensors': attribute.sparseTensors = [...(value as unknown as SparseTensorProto[])]; break;
    case 'type_protos': attribute.typeProtos = [...(value as unknown as TypeProto[])]; break;
  }
  return attribute;
}

/** The attribute named `name`, or undefined. */
export function getAttribute(node: NodeProto, name: string): AttributeProto | undefined {
  return node.attribute.find((attribute) => attribute.name === name);
}

/**
 * The attribute's value by its type: number (FLOAT), Int64 (INT), string (STRING, decoded UTF-8),
 * TensorProto, GraphProto, arrays for the list types; undefined when absent.
 */
export function getAttributeValue(node: NodeProto, name: string): AttributeValue | undefined {
  const attribute = getAttribute(node, name);
  if (attribute === undefined) return undefined;
  switch (attribute.type) {
    case AttributeType.FLOAT: return attribute.f ?? 0;
    case AttributeType.INT: return attribute.i ?? 0;
    case AttributeType.STRING: return utf8Decoder.decode(attribute.s ?? new Uint8Array(0));
    case AttributeType.TENSOR: return attribute.t;
    case AttributeType.GRAPH: return attribute.g;
    case AttributeType.SPARSE_TENSOR: return attribute.sparseTensor;
    case AttributeType.TYPE_PROTO: return attribute.tp;
    case AttributeType.FLOATS: return attribute.floats;
    case AttributeType.INTS: return attribute.ints;
    case AttributeType.STRINGS: return attribute.strings.map((item) => utf8Decoder.decode(item));
    case AttributeType.TENSORS: return attribute.tensors;
    case AttributeType.GRAPHS: return attribute.graphs;
    default: return undefined;
  }
}

/**
 * An INT attribute as a number (int64 values beyond 2**53 are rounded; use `getAttribute(...).i`
 * for the exact value), or `defaultValue` when absent.
 */
export function getIntAttribute(node: NodeProto, name: string, defaultValue?: number): number | undefined {
  const attribute = getAttribute(node, name);
  return attribute?.i === undefined ? defaultValue : Number(attribute.i);
}

/** A FLOAT attribute, or `defaultValue` when absent. */
export function getFloatAttribute(node: NodeProto, name: string, defaultValue?: number): number | undefined {
  return getAttribute(node, name)?.f ?? defaultValue;
}

/** A STRING attribute decoded as UTF-8, or `defaultValue` when absent. */
export function getStringAttribute(node: NodeProto, name: string, defaultValue?: string): string | undefined {
  const bytes = getAttribute(node, name)?.s;
  return bytes === undefined ? defaultValue : utf8Decoder.decode(bytes);
}

/** An INTS attribute as numbers (see {@link getIntAttribute} on precision), or `defaultValue`. */
export function getIntsAttribute(node: NodeProto, name: string, defaultValue?: number[]): number[] | undefined {
  const attribute = getAttribute(node, name);
  return attribute === undefined ? defaultValue : attribute.ints.map(Number);
}

/** A FLOATS attribute, or `defaultValue` when absent. */
export function getFloatsAttribute(node: NodeProto, name: string, defaultValue?: number[]): number[] | undefined {
  return getAttribute(node, name)?.floats ?? defaultValue;
}

/** Sets (replacing in place, or appending) an attribute built by {@link makeAttribute}. */
export function setAttribute(node: NodeProto, name: string, value: AttributeValue, type?: AttributeTypeName): AttributeProto {
  const attribute = makeAttribute(name, value, type);
  const index = node.attribute.findIndex((existing) => existing.name === name);
  if (index === -1) node.attribute.push(attribute);
  else node.attribute[index] = attribute;
  return attribute;
}

/** Removes an attribute; returns whether it was there. */
export function removeAttribute(node: NodeProto, name: string): boolean {
  const index = node.attribute.findIndex((existing) => existing.name === name);
  if (index === -1) return false;
  node.attribute.splice(index, 1);
  return true;
}
