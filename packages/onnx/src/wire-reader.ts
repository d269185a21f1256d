/**
 * Low-level protobuf wire reading over a Uint8Array: varints, fixed32/64 and length-delimited
 * slices (returned as views, never copied). Every malformed input throws INVALID_MODEL_FILE.
 */
import { OnnxError } from './onnx-error';

export const WireType = { VARINT: 0, FIXED64: 1, LENGTH_DELIMITED: 2, START_GROUP: 3, END_GROUP: 4, FIXED32: 5 } as const;

const TWO_POW_32 = 4294967296;

/** Builds the INVALID_MODEL_FILE error for a malformed protobuf stream. */
export function invalidModelFileError(problem: string, source?: string): OnnxError {
  const where = source === undefined ? 'The ONNX model' : `The ONNX model file ${source}`;
  return new OnnxError(
    'INVALID_MODEL_FILE',
    `${where} is corrupt, truncated or not an ONNX model: ${problem}. ` +
      'Check that the file was fully downloaded or exported (compare its size), then export or download it again.',
    { details: { problem, ...(source === undefined ? {} : { path: source }) } },
  );
}

/** A cursor over protobuf bytes. */
export class WireReader {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  position: number;
  /** Name of the file (for error messages). */
  readonly source: string | undefined;

  constructor(bytes: Uint8Array, source?: string) {
    // A plain Uint8Array view (not a Node Buffer, whose slice() does not copy).
    this.bytes = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.position = 0;
    this.source = source;
  }

  fail(problem: string): never {
    throw invalidModelFileError(problem, this.source);
  }

  /** Reads a varint that must fit in 32 bits unsigned (tags and lengths). */
  readVarint32(end: number): number {
    if (this.position < end) {
      const first = this.bytes[this.position]!;
      if (first < 0x80) {
        this.position += 1;
        return first;
      }
    }
    const start = this.position;
    const value = this.readVarint64(end, false);
    if (typeof value === 'bigint' || value > 0xffffffff) this.fail(`varint too large at byte ${start}`);
    return value;
  }

  /**
   * Reads a 64-bit varint as its two 32-bit halves and returns it as an `int64` (signed) or
   * `uint64` (unsigned): a number when it is a safe integer, else a bigint.
   */
  readVarint64(end: number, signed: boolean): number | bigint {
    const bytes = this.bytes;
    let low = 0;
    let high = 0;
    let shift = 0;
    for (let index = 0; index < 10; index += 1) {
      if (this.position >= end) this.fail(`truncated varint at byte ${this.position}`);
      const byte = bytes[this.position++]!;
      const bits = byte & 0x7f;
      if (shift < 28) low |= bits << shift;
      else if (shift === 28) {
        low |= (bits & 0x0f) << 28;
        high |= bits >>> 4;
      } else high |= bits << (shift - 32);
      if ((byte & 0x80) === 0) return combine(low >>> 0, high >>> 0, signed);
      shift += 7;
    }
    this.fail(`varint longer than 10 bytes at byte ${this.position}`);
  }

  /** Reads a varint as a two's complement 32-bit integer (int32 and enum fields). */
  readInt32(end: number): number {
    const value = this.readVarint64(end, true);
    return typeof value === 'bigint' ? Number(BigInt.asIntN(32, value)) : value | 0;
  }

  readFixed32Float(end: number): number {
    if (this.position + 4 > end) this.fail(`truncated fixed32 value at byte ${this.position}`);
    const value = this.view.getFloat32(this.position, true);
    this.position += 4;
    return value;
  }

  readFixed64Double(end: number): number {
    if (this.position + 8 > end) this.fail(`truncated fixed64 value at byte ${this.position}`);
    const value = this.view.getFloat64(this.position, true);
    this.position += 8;
    return value;
  }

  /** Reads a length prefix and returns the end position of the delimited range. */
  readLengthEnd(end: number): number {
    const length = this.readVarint32(end);
    const stop = this.position + length;
    if (stop > end) {
      this.fail(`a length-delimited field of ${length} bytes at byte ${this.position} runs past the end (${end})`);
    }
    return stop;
  }

  /** Skips a field's value of the given wire type. */
  skip(wireType: number, end: number): void {
    switch (wireType) {
      case WireType.VARINT:
        this.readVarint64(end, false);
        return;
      case WireType.FIXED64:
        if (this.position + 8 > end) this.fail(`truncated fixed64 value at byte ${this.position}`);
        this.position += 8;
        return;
      case WireType.LENGTH_DELIMITED:
        this.position = this.readLengthEnd(end);
        return;
      case WireType.FIXED32:
        if (this.position + 4 > end) this.fail(`truncated fixed32 value at byte ${this.position}`);
        this.position += 4;
        return;
      default:
        this.fail(`unsupported wire type ${wireType} at byte ${this.position}`);
    }
  }
}

function combine(low: number, high: number, signed: boolean): number | bigint {
  if (signed && high & 0x80000000) {
    // Negative: magnitude is the two's complement of the 64-bit value.
    const magnitudeLow = (~low + 1) >>> 0;
    const magnitudeHigh = (~high + (magnitudeLow === 0 ? 1 : 0)) >>> 0;
    if (magnitudeHigh < 0x200000) return -(magnitudeHigh * TWO_POW_32 + magnitudeLow);
    return -((BigInt(magnitudeHigh) << 32n) | BigInt(magnitudeLow));
  }
  if (high < 0x200000) return high * TWO_POW_32 + low;
  return (BigInt(high) << 32n) | BigInt(low);
}
