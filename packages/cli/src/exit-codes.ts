import { ConversionError } from '@gpux/converter-core';
import { RegistryError } from '@gpux/model-manager';

/**
 * Process exit codes of gpux-convert, one per class of failure, so scripts can react without
 * parsing messages. Listed in `gpux-convert --help`.
 */
export const EXIT_CODES = {
  success: 0,
  internalError: 1,
  usageError: 2,
  invalidInput: 3,
  unsupported: 4,
  pythonEnvironment: 5,
  exportFailed: 6,
  validationFailed: 7,
  registryError: 8,
  authentication: 9,
  network: 10,
  resources: 11,
  /** The export and the other variants were written; one or more variants failed validation and were left out. */
  variantsFailed: 12,
  /** `batch`: one or more models of the batch failed (the others were converted; see batch-report.json). */
  batchFailed: 13,
  cancelled: 130,
} as const;

const conversionCodeExits: Record<string, number> = {
  INVALID_MODEL_FILE: EXIT_CODES.invalidInput,
  SOURCE_NOT_FOUND: EXIT_CODES.invalidInput,
  OUTPUT_EXISTS: EXIT_CODES.invalidInput,
  TRUST_REMOTE_CODE_REQUIRED: EXIT_CODES.invalidInput,
  UNSUPPORTED_FORMAT: EXIT_CODES.unsupported,
  UNSUPPORTED_ARCHITECTURE: EXIT_CODES.unsupported,
  UNSUPPORTED_OPERATOR: EXIT_CODES.unsupported,
  PYTHON_NOT_FOUND: EXIT_CODES.pythonEnvironment,
  PYTHON_DEPENDENCY_MISSING: EXIT_CODES.pythonEnvironment,
  PYTHON_ENVIRONMENT_FAILED: EXIT_CODES.pythonEnvironment,
  RUNTIME_MISSING: EXIT_CODES.pythonEnvironment,
  EXPORT_FAILED: EXIT_CODES.exportFailed,
  VALIDATION_FAILED: EXIT_CODES.validationFailed,
  OUT_OF_MEMORY: EXIT_CODES.resources,
  TIMEOUT: EXIT_CODES.resources,
  CANCELLED: EXIT_CODES.cancelled,
};

const registryCodeExits: Record<string, number> = {
  AUTHENTICATION_FAILED: EXIT_CODES.authentication,
  NETWORK_ERROR: EXIT_CODES.network,
  CANCELLED: EXIT_CODES.cancelled,
  UNSAFE_PATH: EXIT_CODES.invalidInput,
  TRUST_REMOTE_CODE_REQUIRED: EXIT_CODES.invalidInput,
};

/** The exit code for an error thrown by a command. */
export function exitCodeForError(error: unknown): number {
  if (ConversionError.isInstance(error)) return conversionCodeExits[error.code] ?? EXIT_CODES.internalError;
  if (RegistryError.isInstance(error)) return registryCodeExits[error.code] ?? EXIT_CODES.registryError;
  if (error instanceof TypeError || error instanceof RangeError) return EXIT_CODES.usageError;
  return EXIT_CODES.internalError;
}

/** The exit-code table as help text. */
export function exitCodeHelp(): string {
  return [
    'Exit codes:',
    '  0    success',
    '  1    internal error',
    '  2    usage error (unknown option or command, invalid option value, missing argument)',
    '  3    invalid input (source path does not exist, corrupt model file, output exists, remote code refused)',
    '  4    unsupported format, architecture or operator',
    '  5    Python environment or onnxruntime-node missing or broken (run `gpux-convert doctor`)',
    '  6    export failed',
    '  7    validation failed (ONNX outputs differ from the source framework)',
    '  8    registry error (model or revision not found, integrity)',
    '  9    authentication failed (set HF_TOKEN or pass --token)',
    '  10   network error',
    '  11   out of memory or timed out',
    '  12   some variants failed validation: the export and the other variants were written (see the report)',
    '  13   batch: some models failed; the others were converted (see batch-report.json)',
    '  130  cancelled (Ctrl-C)',
  ].join('\n');
}
