/**
 * The error of @gpux/onnx. Every failure of ONNX IO a user can meet carries a string `code`, a
 * message that says what to do, the underlying `cause`, and `details`. Recognise it with
 * {@link OnnxError.isInstance}, which also matches errors thrown by a second installed copy of
 * this package. `@gpux/converter-core`'s `ConversionError.isInstance` and `hasCode` match it too,
 * so a caller of the conversion pipeline sees ONNX IO failures among the conversion errors.
 */

const onnxErrorMarker = Symbol.for('@gpux/onnx.OnnxError');

/**
 * Every code an {@link OnnxError} can carry. `INVALID_MODEL_FILE`: the file or bytes are not a
 * readable ONNX model (missing, corrupt, truncated, cyclic graph, missing or short external data).
 * `CANCELLED`: the caller's `AbortSignal` stopped a save.
 */
export type OnnxErrorCode = 'INVALID_MODEL_FILE' | 'CANCELLED';

/** Options of the {@link OnnxError} constructor. */
export interface OnnxErrorOptions {
  cause?: unknown;
  /** Structured facts about the failure (the file, the byte offset). */
  details?: Record<string, unknown>;
}

/**
 * An ONNX IO failure.
 *
 * @example
 * ```ts
 * try { await loadOnnxModel('model.onnx'); }
 * catch (error) {
 *   if (OnnxError.hasCode(error, 'INVALID_MODEL_FILE')) console.error(error.message); // names the file and the problem
 * }
 * ```
 */
export class OnnxError extends Error {
  readonly code: OnnxErrorCode;
  readonly details: Record<string, unknown>;
  private readonly [onnxErrorMarker] = true;

  constructor(code: OnnxErrorCode, message: string, options: OnnxErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OnnxError';
    this.code = code;
    this.details = options.details ?? {};
  }

  /** True for any ONNX IO error, including one thrown by another copy of this package. */
  static isInstance(value: unknown): value is OnnxError {
    return typeof value === 'object' && value !== null && onnxErrorMarker in value;
  }

  /** True when `value` is an ONNX IO error with the given code. */
  static hasCode(value: unknown, code: OnnxErrorCode): value is OnnxError {
    return OnnxError.isInstance(value) && value.code === code;
  }
}
