import path from 'node:path';

import { ConversionError } from '../conversion-error';
import type { RequirementPin } from './python-requirements';
import { bridgeModuleDirectory } from './resolve-package-directory';
import { runCommand } from './run-command';

/** One requirement as an interpreter sees it. */
export interface ProbedPackage {
  name: string;
  specifier: string;
  /** False when the requirement's environment marker excludes this interpreter. */
  applies: boolean;
  installed: string | null;
  satisfied: boolean;
}

/** What gpux_inspect_environment.py reports about an interpreter. */
export interface PythonProbe {
  pythonVersion: string;
  implementation: string;
  platform: string;
  machine: string;
  /** The real interpreter path (`sys.executable`), past shims such as pyenv's. */
  executable: string;
  prefix: string;
  basePrefix: string;
  hasVenv: boolean;
  hasEnsurepip: boolean;
  hasPip: boolean;
  packages: ProbedPackage[];
}

/**
 * Starts `pythonExecutable` once to learn its version and platform and which of `pins` are
 * installed at a matching version.
 *
 * @throws ConversionError `PYTHON_NOT_FOUND` when the interpreter cannot be started,
 * `PYTHON_ENVIRONMENT_FAILED` when it starts but fails, `CANCELLED` on abort.
 */
export async function probePython(pythonExecutable: string, pins: readonly RequirementPin[] = [], signal?: AbortSignal): Promise<PythonProbe> {
  const scriptPath = path.join(bridgeModuleDirectory(), 'gpux_inspect_environment.py');
  const { exit, stdout, stderrTail } = await runCommand({
    command: pythonExecutable,
    args: ['-I', scriptPath],
    stdin: JSON.stringify({ requirements: pins }),
    signal,
    timeoutMs: 120_000,
  });
  if (exit.spawnError !== undefined) {
    throw new ConversionError(
      'PYTHON_NOT_FOUND',
      `Python was not found: "${pythonExecutable}" ${exit.spawnError.code === 'EACCES' ? 'is not executable' : 'does not exist'}. ` +
        'Install Python 3 with venv support (Debian/Ubuntu: `sudo apt install python3 python3-venv`; macOS/Windows: python.org), ' +
        'or set GPUX_PYTHON to an interpreter that already has the required packages.',
      { cause: exit.spawnError, details: { pythonExecutable, errno: exit.spawnError.code } },
    );
  }
  if (exit.stopReason === 'abort') {
    throw new ConversionError('CANCELLED', `Inspecting ${pythonExecutable} was cancelled.`, { details: { pythonExecutable } });
  }
  try {
    if (exit.exitCode !== 0) throw new Error(`exit code ${String(exit.exitCode)}${exit.exitSignal === null ? '' : `, signal ${exit.exitSignal}`}`);
    return JSON.parse(stdout) as PythonProbe;
  } catch (error) {
    throw new ConversionError(
      'PYTHON_ENVIRONMENT_FAILED',
      `The Python interpreter "${pythonExecutable}" failed to start (${(error as Error).message}): ${stderrTail.trim() || 'no output'}. ` +
        'Check that it is a working Python 3, or choose another with GPUX_PYTHON.',
      { cause: error, details: { pythonExecutable, stderrTail, exitCode: exit.exitCode } },
    );
  }
}
