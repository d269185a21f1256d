/**
 * The one error base of GPUX Convert's conversion side. Every failure a user can meet carries a
 * string `code`, a message that says what to do, the underlying `cause`, and token-free `details`.
 * Recognise errors with {@link ConversionError.isInstance}, which also matches errors thrown by a
 * second installed copy of this package, and `@gpux/onnx`'s {@link OnnxError} (its codes,
 * `INVALID_MODEL_FILE` and `CANCELLED`, are conversion error codes too): a failure of ONNX IO
 * inside a conversion is a conversion error with the same code.
 */
import { OnnxError } from '@gpux/onnx';

const conversionErrorMarker = Symbol.for('@gpux/converter-core.ConversionError');

/** Every code a {@link ConversionError} can carry (every `OnnxErrorCode` of `@gpux/onnx` among them). */
export type ConversionErrorCode =
  | 'PYTHON_NOT_FOUND'
  | 'PYTHON_DEPENDENCY_MISSING'
  | 'PYTHON_ENVIRONMENT_FAILED'
  | 'OUT_OF_MEMORY'
  | 'TIMEOUT'
  | 'CANCELLED'
  | 'EXPORT_FAILED'
  | 'VALIDATION_FAILED'
  | 'INVALID_MODEL_FILE'
  | 'SOURCE_NOT_FOUND'
  | 'UNSUPPORTED_FORMAT'
  | 'UNSUPPORTED_ARCHITECTURE'
  | 'UNSUPPORTED_OPERATOR'
  | 'TRUST_REMOTE_CODE_REQUIRED'
  | 'RUNTIME_MISSING'
  | 'OUTPUT_EXISTS'
  | 'INTERNAL_ERROR';

/** Options of the {@link ConversionError} constructor. */
export interface ConversionErrorOptions {
  cause?: unknown;
  /** Structured facts about the failure (numbers per output, module names, exit codes). */
  details?: Record<string, unknown>;
}

/**
 * Base class of conversion errors.
 *
 * @example
 * ```ts
 * try { await convert({ source: './bert' }); }
 * catch (error) {
 *   if (ConversionError.isInstance(error) && error.code === 'PYTHON_DEPENDENCY_MISSING') {
 *     console.error(error.message); // names the module and the command that installs it
 *   }
 * }
 * ```
 */
export class ConversionError extends Error {
  readonly code: ConversionErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: ConversionErrorCode, message: string, options: ConversionErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ConversionError';
    this.code = code;
    this.details = options.details ?? {};
    // The marker stays out of the class's type, so that an OnnxError (same fields, a subset of
    // the codes) is a ConversionError to TypeScript as it is to isInstance.
    Object.defineProperty(this, conversionErrorMarker, { value: true, enumerable: true });
  }

  /**
   * True for any conversion error, including one thrown by another copy of this package, and for
   * an {@link OnnxError} of `@gpux/onnx` (ONNX IO failures keep their code and details).
   */
  static isInstance(value: unknown): value is ConversionError {
    return (typeof value === 'object' && value !== null && conversionErrorMarker in value) || OnnxError.isInstance(value);
  }

  /** True when `value` is a conversion error (or an {@link OnnxError}) with the given code. */
  static hasCode(value: unknown, code: ConversionErrorCode): value is ConversionError {
    return ConversionError.isInstance(value) && value.code === code;
  }
}
