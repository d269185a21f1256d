/**
 * Schema-driven protobuf decoding into plain objects. Bytes fields stay views into the input
 * (zero-copy); unknown fields keep their raw wire bytes in `unknownFields`.
 */
import type { FieldSpec, MessageSpec } from './onnx-schema';
import type { WireReader } from './wire-reader';
import { WireType } from './wire-reader';

const utf8 = new TextDecoder('utf-8');

type Accumulated = Array<number | bigint | ArrayBufferView>;

/**
 * Decodes one message of `spec` from `reader`, from its current position up to `end`.
 *
 * @throws {OnnxError} INVALID_MODEL_FILE when the bytes are malformed.
 */
export function decodeMessage(reader: WireReader, spec: MessageSpec, end: number): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  let numericArrays: Map<FieldSpec, Accumulated> | undefined;
  for (const field of spec.fields) {
    if (field.repeated && !field.kind.endsWith('-array')) result[field.name] = [];
  }
  while (reader.position < end) {
    const fieldStart = reader.position;
    const tag = reader.readVarint32(end);
    const fieldNumber = tag >>> 3;
    const wireType = tag & 7;
    if (fieldNumber === 0) reader.fail(`field number 0 at byte ${fieldStart} in ${spec.name}`);
    const field = spec.byNumber.get(fieldNumber);
    if (field === undefined) {
      reader.skip(wireType, end);
      ((result.unknownFields ??= []) as Uint8Array[]).push(reader.bytes.subarray(fieldStart, reader.position));
      continue;
    }
    if (field.kind.endsWith('-array')) {
      numericArrays ??= new Map();
      let parts = numericArrays.get(field);
      if (parts === undefined) numericArrays.set(field, (parts = []));
      readNumericArrayField(reader, field, wireType, end, parts, spec);
    } else if (field.repeated) {
      const list = result[field.name] as unknown[];
      if (wireType === WireType.LENGTH_DELIMITED && isScalar(field)) {
        const stop = reader.readLengthEnd(end);
        while (reader.position < stop) list.push(readScalar(reader, field, stop));
      } else {
        checkWireType(reader, field, wireType, spec, fieldStart);
        list.push(readValue(reader, field, end));
      }
    } else {
      checkWireType(reader, field, wireType, spec, fieldStart);
      result[field.name] = readValue(reader, field, end);
    }
  }
  for (const field of spec.fields) {
    if (field.kind.endsWith('-array')) result[field.name] = finishNumericArray(field, numericArrays?.get(field));
  }
  return result;
}

function isScalar(field: FieldSpec): boolean {
  return field.kind !== 'string' && field.kind !== 'bytes' && field.kind !== 'message';
}

function expectedWireType(kind: FieldSpec['kind']): number {
  switch (kind) {
    case 'int32':
    case 'int64':
    case 'uint64':
    case 'int32-array':
    case 'int64-array':
    case 'uint64-array':
      return WireType.VARINT;
    case 'float':
    case 'float32-array':
      return WireType.FIXED32;
    case 'double':
    case 'float64-array':
      return WireType.FIXED64;
    default:
      return WireType.LENGTH_DELIMITED;
  }
}

function checkWireType(reader: WireReader, field: FieldSpec, wireType: number, spec: MessageSpec, at: number): void {
  const expected = expectedWireType(field.kind);
  if (wireType !== expected) {
    reader.fail(
      `field ${spec.name}.${field.name} (#${field.number}) at byte ${at} has wire type ${wireType}, expected ${expected}`,
    );
  }
}

function readScalar(reader: WireReader, field: FieldSpec, end: number): number | bigint {
  switch (field.kind) {
    case 'int32':
    case 'int32-array':
      return reader.readInt32(end);
    case 'int64':
    case 'int64-array':
      return reader.readVarint64(end, true);
    case 'uint64':
    case 'uint64-array':
      return reader.readVarint64(end, false);
    case 'float':
    case 'float32-array':
      return reader.readFixed32Float(end);
    default:
      return reader.readFixed64Double(end);
  }
}

function readValue(reader: WireReader, field: FieldSpec, end: number): unknown {
  switch (field.kind) {
    case 'string': {
      const stop = reader.readLengthEnd(end);
      const text = utf8.decode(reader.bytes.subarray(reader.position, stop));
      reader.position = stop;
      return text;
    }
    case 'bytes': {
      const stop = reader.readLengthEnd(end);
      const view = reader.bytes.subarray(reader.position, stop);
      reader.position = stop;
      return view;
    }
    case 'message': {
      const stop = reader.readLengthEnd(end);
      const value = decodeMessage(reader, field.message!, stop);
      reader.position = stop;
      return value;
    }
    default:
      return readScalar(reader, field, end);
  }
}

const ELEMENT_BYTES: Partial<Record<FieldSpec['kind'], number>> = { 'float32-array': 4, 'float64-array': 8 };

function readNumericArrayField(
  reader: WireReader,
  field: FieldSpec,
  wireType: number,
  end: number,
  parts: Accumulated,
  spec: MessageSpec,
): void {
  if (wireType !== WireType.LENGTH_DELIMITED) {
    checkWireType(reader, field, wireType, spec, reader.position);
    parts.push(readScalar(reader, field, end));
    return;
  }
  const stop = reader.readLengthEnd(end);
  const elementBytes = ELEMENT_BYTES[field.kind];
  if (elementBytes !== undefined) {
    const length = stop - reader.position;
    if (length % elementBytes !== 0) reader.fail(`packed ${spec.name}.${field.name} has ${length} bytes, not a multiple of ${elementBytes}`);
    // slice() copies into a fresh, aligned buffer (the source view may sit at any byteOffset).
    const copy = reader.bytes.slice(reader.position, stop).buffer;
    parts.push(elementBytes === 4 ? new Float32Array(copy) : new Float64Array(copy));
    reader.position = stop;
    return;
  }
  while (reader.position < stop) parts.push(readScalar(reader, field, stop));
}

function finishNumericArray(field: FieldSpec, parts: Accumulated | undefined): ArrayBufferView {
  const single = parts?.length === 1 ? parts[0] : undefined;
  if (single !== undefined && ArrayBuffer.isView(single)) return single;
  const values: Array<number | bigint> = [];
  for (const part of parts ?? []) {
    if (ArrayBuffer.isView(part)) for (const value of part as Float32Array) values.push(value);
    else values.push(part);
  }
  switch (field.kind) {
    case 'float32-array':
      return Float32Array.from(values as number[]);
    case 'float64-array':
      return Float64Array.from(values as number[]);
    case 'int32-array':
      return Int32Array.from(values as number[]);
    case 'int64-array':
      return BigInt64Array.from(values, (value) => BigInt(value));
    default:
      return BigUint64Array.from(values, (value) => BigInt(value));
  }
}
