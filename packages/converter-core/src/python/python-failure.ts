import type { ConversionErrorCode } from '../conversion-error';
import { ConversionError } from '../conversion-error';
import type { SupervisedChildExit } from './spawn-supervised';

/** Every code a Python script may report in an `error` event; others become EXPORT_FAILED. */
const knownCodes: ReadonlySet<string> = new Set<ConversionErrorCode>([
  'PYTHON_NOT_FOUND',
  'PYTHON_DEPENDENCY_MISSING',
  'PYTHON_ENVIRONMENT_FAILED',
  'OUT_OF_MEMORY',
  'TIMEOUT',
  'CANCELLED',
  'EXPORT_FAILED',
  'VALIDATION_FAILED',
  'INVALID_MODEL_FILE',
  'UNSUPPORTED_FORMAT',
  'UNSUPPORTED_ARCHITECTURE',
  'UNSUPPORTED_OPERATOR',
  'TRUST_REMOTE_CODE_REQUIRED',
  'RUNTIME_MISSING',
  'OUTPUT_EXISTS',
  'INTERNAL_ERROR',
]);

/** Facts about a finished Python child, used to build error messages and details. */
export interface PythonFailureContext {
  pythonExecutable: string;
  scriptPath: string;
  stderrTail: string;
  requirementSetName?: string;
  peakRssBytes?: number;
  timeoutMs?: number;
}

/** The `error` event of gpux_bridge.py. */
export interface BridgeErrorEvent {
  code?: unknown;
  message?: unknown;
  details?: unknown;
  traceback?: unknown;
}

/** Builds the error for an `error` event the script reported. */
export function errorFromBridgeEvent(event: BridgeErrorEvent, context: PythonFailureContext): ConversionError {
  const reportedCode = typeof event.code === 'string' ? event.code : undefined;
  const code: ConversionErrorCode =
    reportedCode !== undefined && knownCodes.has(reportedCode) ? (reportedCode as ConversionErrorCode) : 'EXPORT_FAILED';
  const reportedDetails =
    typeof event.details === 'object' && event.details !== null ? (event.details as Record<string, unknown>) : {};
  const message = typeof event.message === 'string' && event.message !== '' ? event.message : 'The Python script failed.';
  const details: Record<string, unknown> = {
    ...reportedDetails,
    ...baseDetails(context),
    traceback: typeof event.traceback === 'string' ? event.traceback : undefined,
  };
  if (reportedCode !== undefined && reportedCode !== code) details.reportedCode = reportedCode;
  if (code === 'PYTHON_DEPENDENCY_MISSING') {
    const module = typeof reportedDetails.module === 'string' ? reportedDetails.module : undefined;
    return dependencyMissing(module, context, details);
  }
  if (code === 'OUT_OF_MEMORY') {
    return new ConversionError(code, `${message} Free memory (close other programs) or convert a smaller model.`, { details });
  }
  return new ConversionError(code, message, { details });
}

/**
 * Builds the error for a child that ended without a result: spawn failure, abort, timeout, a kill
 * we did not send (the kernel's OOM killer), or a non-zero exit without an `error` event.
 */
export function errorFromExit(exit: SupervisedChildExit, context: PythonFailureContext): ConversionError {
  const details: Record<string, unknown> = {
    ...baseDetails(context),
    exitCode: exit.exitCode,
    exitSignal: exit.exitSignal,
  };
  if (exit.spawnError !== undefined) {
    const reason = exit.spawnError.code === 'EACCES' ? 'is not executable' : 'was not found';
    return new ConversionError(
      'PYTHON_NOT_FOUND',
      `The Python interpreter "${context.pythonExecutable}" ${reason}. Install Python 3 (python.org, or your system's python3 and python3-venv packages), ` +
        'or point GPUX_PYTHON (or the pythonExecutable option) at an interpreter that exists.',
      { cause: exit.spawnError, details: { ...details, errno: exit.spawnError.code } },
    );
  }
  if (exit.stopReason === 'abort' || exit.stopReason === 'consumer') {
    return new ConversionError('CANCELLED', `The Python script ${scriptName(context)} was cancelled.`, { details });
  }
  if (exit.stopReason === 'timeout') {
    return new ConversionError(
      'TIMEOUT',
      `The Python script ${scriptName(context)} ran longer than ${String(context.timeoutMs)} ms and was stopped. Raise the timeout (timeoutMs) if the model is large.`,
      { details },
    );
  }
  if (exit.exitSignal === 'SIGKILL' && !exit.killedByUs) {
    return new ConversionError(
      'OUT_OF_MEMORY',
      `The Python script ${scriptName(context)} was killed (SIGKILL), probably by the kernel's out-of-memory killer. ` +
        'Free memory (close other programs), add swap, or convert a smaller model.',
      { details },
    );
  }
  const missingModule = /ModuleNotFoundError: No module named '([^']+)'/.exec(context.stderrTail)?.[1];
  if (missingModule !== undefined) return dependencyMissing(missingModule.split('.')[0], context, details);
  if (/^MemoryError\b/m.test(context.stderrTail)) {
    return new ConversionError(
      'OUT_OF_MEMORY',
      `The Python script ${scriptName(context)} ran out of memory (MemoryError). Free memory or convert a smaller model.`,
      { details },
    );
  }
  const how =
    exit.exitSignal !== null ? `was killed by ${exit.exitSignal}` : exit.exitCode === 0 ? 'ended without reporting a result' : `exited with code ${String(exit.exitCode)}`;
  const lastLine = lastNonEmptyLine(context.stderrTail);
  return new ConversionError(
    'EXPORT_FAILED',
    `The Python script ${scriptName(context)} ${how}${lastLine === undefined ? '.' : `: ${lastLine}`}`,
    { details },
  );
}

function dependencyMissing(
  module: string | undefined,
  context: PythonFailureContext,
  details: Record<string, unknown>,
): ConversionError {
  const name = module ?? 'unknown';
  const fix =
    context.requirementSetName !== undefined
      ? `Run \`gpux-convert setup ${context.requirementSetName}\` to repair the ${context.requirementSetName} environment.`
      : `Install the package that provides it: "${context.pythonExecutable}" -m pip install ${name}`;
  return new ConversionError(
    'PYTHON_DEPENDENCY_MISSING',
    `Python module '${name}' is not installed in ${context.pythonExecutable}. ${fix}`,
    { details: { ...details, module: name } },
  );
}

function baseDetails(context: PythonFailureContext): Record<string, unknown> {
  return {
    pythonExecutable: context.pythonExecutable,
    scriptPath: context.scriptPath,
    stderrTail: context.stderrTail,
    peakRssBytes: context.peakRssBytes,
  };
}

function scriptName(context: PythonFailureContext): string {
  return context.scriptPath.split(/[\\/]/).pop() ?? context.scriptPath;
}

function lastNonEmptyLine(text: string): string | undefined {
  const lines = text.split('\n').map((line) => line.trim()).filter((line) => line !== '');
  return lines.at(-1);
}
