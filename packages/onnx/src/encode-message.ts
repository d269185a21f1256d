/**
 * Schema-driven protobuf encoding in two passes: message sizes first (cached per object), then the
 * bytes as a list of chunks. Small fields are packed into scratch buffers; large bytes fields are
 * emitted as the caller's own views (never concatenated), and a bytes field may also be a
 * {@link FileByteRange} that the writer streams from disk. Known fields are written in field-number
 * order (as protobuf serializers do), then the message's unknown fields as they were read.
 */
import type { FieldSpec, MessageSpec } from './onnx-schema';
import { WireType } from './wire-reader';

/** Bytes that live in a file, streamed by the writer instead of being held in memory. */
export interface FileByteRange {
  kind: 'file-range';
  path: string;
  offset: number;
  length: number;
}

/** A piece of the serialized output. */
export type OutputChunk = Uint8Array | FileByteRange;

/** Replaces a message object by another one just for this encoding (used to externalize tensors). */
export type MessageSubstitute = (value: object, spec: MessageSpec) => object;

const SCRATCH_BYTES = 256 * 1024;
const DIRECT_BYTES = 32 * 1024;
const encoder = new TextEncoder();

type AnyMessage = Record<string, unknown>;

function isFileRange(value: unknown): value is FileByteRange {
  return typeof value === 'object' && value !== null && (value as FileByteRange).kind === 'file-range';
}

export function varintSize(value: number | bigint): number {
  if (typeof value === 'bigint') {
    let remaining = value < 0n ? BigInt.asUintN(64, value) : value;
    let size = 1;
    while (remaining >= 128n) {
      remaining >>= 7n;
      size += 1;
    }
    return size;
  }
  if (value < 0) return 10;
  if (value < 128) return 1;
  if (value < 16384) return 2;
  if (value < 2097152) return 3;
  if (value < 268435456) return 4;
  let size = 4;
  let remaining = Math.floor(value / 268435456);
  while (remaining > 0) {
    remaining = Math.floor(remaining / 128);
    size += 1;
  }
  return size;
}

function scalarSize(field: FieldSpec, value: number | bigint): number {
  if (field.kind === 'float' || field.kind === 'float32-array') return 4;
  if (field.kind === 'double' || field.kind === 'float64-array') return 8;
  return varintSize(value);
}

function wireTypeOf(field: FieldSpec): number {
  switch (field.kind) {
    case 'float':
    case 'float32-array':
      return WireType.FIXED32;
    case 'double':
    case 'float64-array':
      return WireType.FIXED64;
    case 'string':
    case 'bytes':
    case 'message':
      return WireType.LENGTH_DELIMITED;
    default:
      return WireType.VARINT;
  }
}

/** Computes and caches serialized sizes. */
export class SizeCalculator {
  private readonly sizes = new Map<object, number>();
  constructor(readonly substitute?: MessageSubstitute) {}

  resolve(value: object, spec: MessageSpec): AnyMessage {
    return (this.substitute === undefined ? value : this.substitute(value, spec)) as AnyMessage;
  }

  messageSize(value: object, spec: MessageSpec): number {
    const cached = this.sizes.get(value);
    if (cached !== undefined) return cached;
    const message = this.resolve(value, spec);
    let size = 0;
    for (const field of spec.fields) {
      const fieldValue = message[field.name];
      if (fieldValue === undefined || fieldValue === null) continue;
      const tagSize = varintSize(field.number * 8);
      if (!field.repeated) {
        size += tagSize + this.valueSize(field, fieldValue);
        continue;
      }
      const list = fieldValue as ArrayLike<unknown>;
      if (list.length === 0) continue;
      if (field.packed) {
        const length = this.packedLength(field, list);
        size += tagSize + varintSize(length) + length;
      } else {
        for (let index = 0; index < list.length; index += 1) size += tagSize + this.valueSize(field, list[index]);
      }
    }
    for (const unknown of (message.unknownFields as Uint8Array[] | undefined) ?? []) size += unknown.byteLength;
    this.sizes.set(value, size);
    return size;
  }

  packedLength(field: FieldSpec, list: ArrayLike<unknown>): number {
    if (field.kind === 'float' || field.kind === 'float32-array') return list.length * 4;
    if (field.kind === 'double' || field.kind === 'float64-array') return list.length * 8;
    let length = 0;
    for (let index = 0; index < list.length; index += 1) length += varintSize(list[index] as number | bigint);
    return length;
  }

  valueSize(field: FieldSpec, value: unknown): number {
    switch (field.kind) {
      case 'string': {
        const length = Buffer.byteLength(value as string, 'utf8');
        return varintSize(length) + length;
      }
      case 'bytes': {
        const length = isFileRange(value) ? value.length : (value as Uint8Array).byteLength;
        return varintSize(length) + length;
      }
      case 'message': {
        const length = this.messageSize(value as object, field.message!);
        return varintSize(length) + length;
      }
      default:
        return scalarSize(field, value as number | bigint);
    }
  }
}

/** Appends encoded bytes to a list of chunks. */
export class ChunkWriter {
  readonly chunks: OutputChunk[] = [];
  private scratch = new Uint8Array(SCRATCH_BYTES);
  private view = new DataView(this.scratch.buffer);
  private position = 0;

  private ensure(bytes: number): void {
    if (this.position + bytes <= this.scratch.byteLength) return;
    this.flush();
    if (bytes > this.scratch.byteLength) {
      this.scratch = new Uint8Array(bytes);
      this.view = new DataView(this.scratch.buffer);
    }
  }

  flush(): void {
    if (this.position === 0) return;
    this.chunks.push(this.scratch.subarray(0, this.position));
    this.scratch = new Uint8Array(SCRATCH_BYTES);
    this.view = new DataView(this.scratch.buffer);
    this.position = 0;
  }

  varint(value: number | bigint): void {
    this.ensure(10);
    if (typeof value === 'bigint' || value < 0 || value > Number.MAX_SAFE_INTEGER) {
      let remaining = BigInt.asUintN(64, BigInt(value));
      while (remaining >= 128n) {
        this.scratch[this.position++] = Number(remaining & 127n) | 128;
        remaining >>= 7n;
      }
      this.scratch[this.position++] = Number(remaining);
      return;
    }
    let remaining = value;
    while (remaining >= 128) {
      this.scratch[this.position++] = (remaining % 128) | 128;
      remaining = Math.floor(remaining / 128);
    }
    this.scratch[this.position++] = remaining;
  }

  float32(value: number): void {
    this.ensure(4);
    this.view.setFloat32(this.position, value, true);
    this.position += 4;
  }

  float64(value: number): void {
    this.ensure(8);
    this.view.setFloat64(this.position, value, true);
    this.position += 8;
  }

  string(value: string, byteLength: number): void {
    this.ensure(byteLength);
    encoder.encodeInto(value, this.scratch.subarray(this.position, this.position + byteLength));
    this.position += byteLength;
  }

  bytes(value: Uint8Array | FileByteRange): void {
    if (isFileRange(value) || value.byteLength >= DIRECT_BYTES) {
      this.flush();
      if (isFileRange(value) || value.byteLength > 0) this.chunks.push(value);
      return;
    }
    this.ensure(value.byteLength);
    this.scratch.set(value, this.position);
    this.position += value.byteLength;
  }
}

/** Encodes `value` (a message of `spec`, without tag or length) into `writer`. */
export function encodeMessage(writer: ChunkWriter, sizes: SizeCalculator, value: object, spec: MessageSpec): void {
  const message = sizes.resolve(value, spec);
  for (const field of spec.fields) {
    const fieldValue = message[field.name];
    if (fieldValue === undefined || fieldValue === null) continue;
    const tag = field.number * 8 + wireTypeOf(field);
    if (!field.repeated) {
      writer.varint(tag);
      encodeValue(writer, sizes, field, fieldValue);
      continue;
    }
    const list = fieldValue as ArrayLike<unknown>;
    if (list.length === 0) continue;
    if (field.packed) {
      writer.varint(field.number * 8 + WireType.LENGTH_DELIMITED);
      writer.varint(sizes.packedLength(field, list));
      if (ArrayBuffer.isView(list) && (field.kind === 'float32-array' || field.kind === 'float64-array')) {
        writer.bytes(new Uint8Array(list.buffer, list.byteOffset, list.byteLength));
      } else {
        for (let index = 0; index < list.length; index += 1) encodeValue(writer, sizes, field, list[index]);
      }
      continue;
    }
    for (let index = 0; index < list.length; index += 1) {
      writer.varint(tag);
      encodeValue(writer, sizes, field, list[index]);
    }
  }
  for (const unknown of (message.unknownFields as Uint8Array[] | undefined) ?? []) writer.bytes(unknown);
}

function encodeValue(writer: ChunkWriter, sizes: SizeCalculator, field: FieldSpec, value: unknown): void {
  switch (field.kind) {
    case 'string': {
      const length = Buffer.byteLength(value as string, 'utf8');
      writer.varint(length);
      writer.string(value as string, length);
      return;
    }
    case 'bytes': {
      const bytes = value as Uint8Array | FileByteRange;
      writer.varint(isFileRange(bytes) ? bytes.length : bytes.byteLength);
      writer.bytes(bytes);
      return;
    }
    case 'message':
      writer.varint(sizes.messageSize(value as object, field.message!));
      encodeMessage(writer, sizes, value as object, field.message!);
      return;
    case 'float':
    case 'float32-array':
      writer.float32(value as number);
      return;
    case 'double':
    case 'float64-array':
      writer.float64(value as number);
      return;
    default:
      writer.varint(value as number | bigint);
  }
}

/** Encodes a whole message into one buffer (for small messages and tests). */
export function encodeMessageToBytes(value: object, spec: MessageSpec, substitute?: MessageSubstitute): Uint8Array {
  const sizes = new SizeCalculator(substitute);
  const total = sizes.messageSize(value, spec);
  const writer = new ChunkWriter();
  encodeMessage(writer, sizes, value, spec);
  writer.flush();
  const output = new Uint8Array(total);
  let offset = 0;
  for (const chunk of writer.chunks) {
    if (!(chunk instanceof Uint8Array)) throw new TypeError('encodeMessageToBytes cannot inline file ranges; use saveOnnxModel.');
    output.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return output;
}
