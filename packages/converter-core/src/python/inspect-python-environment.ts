import { access } from 'node:fs/promises';

import type { PythonSettings } from '../adapter';
import { ConversionError } from '../conversion-error';
import { readCompletionMarker, resolveEnvironmentLayout } from './environment-layout';
import type { PythonProbe } from './probe-python';
import { probePython } from './probe-python';
import type { PythonRequirementSet } from './python-environment';
import { externalInterpreter, validateRequirementSet } from './python-environment';
import { readRequirements } from './python-requirements';

/** The state of a requirement set's environment. */
export type PythonEnvironmentStatus = 'complete' | 'missing' | 'incomplete' | 'broken' | 'external';

/** What {@link inspectPythonEnvironment} found. */
export interface PythonEnvironmentReport {
  requirementSet: string;
  /** The managed environment's hash ("" when the base interpreter is missing or the interpreter is the caller's). */
  hash: string;
  /** The managed environment's directory ("" when unknown, as for `hash`). */
  directory: string;
  pythonExecutable?: string;
  /**
   * `complete`: built and every pinned package installed at its pin. `missing`: not built (or no
   * Python). `incomplete`: a build was started and not finished. `broken`: built, but a package is
   * missing or at another version, or its interpreter is gone. `external`: the caller's own
   * interpreter (`GPUX_PYTHON`); `missingPackages` says what it lacks.
   */
  status: PythonEnvironmentStatus;
  pythonVersion?: string;
  /** Each requirement: `required` is its specifier (`==1.16.0`, "" when unpinned). */
  packages: Array<{ name: string; required: string; installed?: string }>;
  /** Requirements not installed, or installed at a version that does not satisfy the pin. */
  missingPackages: string[];
  /** The exact command that fixes the environment, when one does. */
  fixCommand?: string;
  /** A sentence saying what is wrong, when something is. */
  problem?: string;
}

/**
 * Reports the state of a requirement set's environment without changing anything: whether it is
 * built, and which pinned packages are installed at which versions (one Python start).
 *
 * A managed environment that is `missing`, `incomplete` or `broken` is fixed by
 * `gpux-convert setup <name>` (which calls `ensurePythonEnvironment` with `verify: true`); an
 * external interpreter by the pip command in `fixCommand`.
 *
 * @throws TypeError for a malformed requirement set; ConversionError `PYTHON_ENVIRONMENT_FAILED`
 * when the requirements file cannot be read.
 * @example
 * ```ts
 * const report = await inspectPythonEnvironment({ name: 'pytorch', requirementsFile });
 * if (report.status !== 'complete') console.log(report.problem, report.fixCommand);
 * ```
 */
export async function inspectPythonEnvironment(
  requirements: PythonRequirementSet,
  settings: PythonSettings = {},
): Promise<PythonEnvironmentReport> {
  validateRequirementSet(requirements);
  const setupCommand = `gpux-convert setup ${requirements.name}`;
  const external = externalInterpreter(settings);
  if (external !== undefined) {
    const parsed = await readRequirements(requirements.requirementsFile);
    const report: PythonEnvironmentReport = { requirementSet: requirements.name, hash: '', directory: '', pythonExecutable: external, status: 'external', packages: [], missingPackages: [] };
    let probe: PythonProbe;
    try {
      probe = await probePython(external, parsed.pins);
    } catch (error) {
      if (!ConversionError.isInstance(error)) throw error;
      return { ...report, status: 'missing', problem: error.message };
    }
    fillPackages(report, probe);
    if (report.missingPackages.length > 0) {
      report.fixCommand = `${quoteArgument(external)} -m pip install -r ${quoteArgument(requirements.requirementsFile)}`;
      report.problem = `${external} lacks ${report.missingPackages.join(', ')} (required by ${requirements.name}).`;
    }
    return report;
  }

  let layout;
  try {
    layout = await resolveEnvironmentLayout(requirements, settings);
  } catch (error) {
    if (!ConversionError.hasCode(error, 'PYTHON_NOT_FOUND')) throw error;
    return { requirementSet: requirements.name, hash: '', directory: '', status: 'missing', packages: [], missingPackages: [], problem: error.message };
  }
  const report: PythonEnvironmentReport = {
    requirementSet: requirements.name,
    hash: layout.hash,
    directory: layout.directory,
    pythonExecutable: layout.pythonExecutable,
    status: 'complete',
    packages: layout.requirements.pins.map((pin) => ({ name: pin.name, required: pin.specifier })),
    missingPackages: [],
  };
  const marker = await readCompletionMarker(layout);
  if (marker === undefined) {
    const directoryExists = await exists(layout.directory);
    const stagingExists = await exists(layout.stagingDirectory);
    if (!directoryExists && !stagingExists) {
      return { ...report, status: 'missing', fixCommand: setupCommand, problem: `The ${requirements.name} Python environment is not set up.` };
    }
    const markerExists = await exists(layout.markerPath);
    if (markerExists) {
      return { ...report, status: 'broken', fixCommand: setupCommand, problem: `The interpreter of the ${requirements.name} Python environment (${layout.pythonExecutable}) no longer works; its base Python may have been removed.` };
    }
    return { ...report, status: 'incomplete', fixCommand: setupCommand, problem: `The ${requirements.name} Python environment was not finished (an interrupted or running setup).` };
  }
  let probe: PythonProbe;
  try {
    probe = await probePython(layout.pythonExecutable, layout.requirements.pins);
  } catch (error) {
    if (!ConversionError.isInstance(error)) throw error;
    return { ...report, status: 'broken', fixCommand: setupCommand, problem: error.message };
  }
  fillPackages(report, probe);
  if (report.missingPackages.length > 0) {
    report.status = 'broken';
    report.fixCommand = setupCommand;
    report.problem = `The ${requirements.name} Python environment lacks ${report.missingPackages.join(', ')}.`;
  }
  return report;
}

function fillPackages(report: PythonEnvironmentReport, probe: PythonProbe): void {
  report.pythonVersion = probe.pythonVersion;
  report.packages = probe.packages
    .filter((item) => item.applies)
    .map((item) => (item.installed === null ? { name: item.name, required: item.specifier } : { name: item.name, required: item.specifier, installed: item.installed }));
  report.missingPackages = probe.packages.filter((item) => !item.satisfied).map((item) => item.name);
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

/** Quotes a shell argument when it needs it (POSIX shells). */
function quoteArgument(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
