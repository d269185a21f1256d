/**
 * Errors raised by model registries (the hub, local directories) and by the conversion cache.
 *
 * Every error carries a string `code` and a message that says what to do. Recognise them with the
 * static `isInstance` guards rather than `instanceof`, so that two installed copies of this package
 * still recognise each other's errors.
 */

const registryErrorMarker = Symbol.for('@gpux/model-manager.RegistryError');

/** Codes of the registry errors. */
export type RegistryErrorCode =
  | 'MODEL_NOT_FOUND'
  | 'REVISION_NOT_FOUND'
  | 'ENTRY_NOT_FOUND'
  | 'AUTHENTICATION_FAILED'
  | 'NETWORK_ERROR'
  | 'INTEGRITY_ERROR'
  | 'OFFLINE_CACHE_MISS'
  | 'UNSAFE_PATH'
  | 'TRUST_REMOTE_CODE_REQUIRED'
  | 'CANCELLED'
  | 'REGISTRY_ERROR';

/** Options shared by the registry error constructors. */
export interface RegistryErrorOptions {
  /** The underlying error. */
  cause?: unknown;
  /** Structured, token-free facts about the failure (status code, URL, file name). */
  details?: Record<string, unknown>;
}

/**
 * Base class of every registry error.
 *
 * @example
 * ```ts
 * try { await manager.pullModel('org/name'); }
 * catch (error) { if (RegistryError.isInstance(error)) console.error(error.code, error.message); }
 * ```
 */
export class RegistryError extends Error {
  readonly code: RegistryErrorCode;
  readonly details: Record<string, unknown>;
  private readonly [registryErrorMarker] = true;

  constructor(code: RegistryErrorCode, message: string, options: RegistryErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RegistryError';
    this.code = code;
    this.details = options.details ?? {};
  }

  /** True for any registry error, including one thrown by another copy of this package. */
  static isInstance(value: unknown): value is RegistryError {
    return typeof value === 'object' && value !== null && registryErrorMarker in value;
  }
}

function guard<T extends RegistryError>(code: RegistryErrorCode) {
  return (value: unknown): value is T => RegistryError.isInstance(value) && value.code === code;
}

/** The model id does not exist in the registry (or is private and no token was given). */
export class ModelNotFoundError extends RegistryError {
  constructor(message: string, options?: RegistryErrorOptions) {
    super('MODEL_NOT_FOUND', message, options);
    this.name = 'ModelNotFoundError';
  }
  static override isInstance = guard<ModelNotFoundError>('MODEL_NOT_FOUND');
}

/** The requested revision (branch, tag or commit) does not exist. */
export class RevisionNotFoundError extends RegistryError {
  constructor(message: string, options?: RegistryErrorOptions) {
    super('REVISION_NOT_FOUND', message, options);
    this.name = 'RevisionNotFoundError';
  }
  static override isInstance = guard<RevisionNotFoundError>('REVISION_NOT_FOUND');
}

/** The registry refused the credentials (401, 403) or the repository is gated. */
export class AuthenticationError extends RegistryError {
  constructor(message: string, options?: RegistryErrorOptions) {
    super('AUTHENTICATION_FAILED', message, options);
    this.name = 'AuthenticationError';
  }
  static override isInstance = guard<AuthenticationError>('AUTHENTICATION_FAILED');
}

/** A transport failure. `retryable` says whether trying again can succeed. */
export class NetworkError extends RegistryError {
  readonly retryable: boolean;
  constructor(message: string, options: RegistryErrorOptions & { retryable: boolean }) {
    super('NETWORK_ERROR', message, options);
    this.name = 'NetworkError';
    this.retryable = options.retryable;
  }
  static override isInstance = guard<NetworkError>('NETWORK_ERROR');
}

/** Downloaded or cached bytes do not match their expected size or hash. */
export class IntegrityError extends RegistryError {
  constructor(message: string, options?: RegistryErrorOptions) {
    super('INTEGRITY_ERROR', message, options);
    this.name = 'IntegrityError';
  }
  static override isInstance = guard<IntegrityError>('INTEGRITY_ERROR');
}
