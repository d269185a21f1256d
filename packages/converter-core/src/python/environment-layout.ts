import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';

import { resolveGpuxCacheDirectory } from '@gpux/model-manager';

import type { PythonSettings } from '../adapter';
import type { PythonProbe } from './probe-python';
import { probePython } from './probe-python';
import type { PythonRequirementSet } from './python-environment';
import type { ParsedRequirements } from './python-requirements';
import { readRequirements } from './python-requirements';

/** Where a managed environment lives and what it is built from. */
export interface EnvironmentLayout {
  requirementSet: PythonRequirementSet;
  requirements: ParsedRequirements;
  /** The base interpreter as given (`python3`) and as probed. */
  basePython: string;
  base: PythonProbe;
  /** Short hex hash of the requirements, the base interpreter's version and its platform. */
  hash: string;
  /** `<cache>/python`. */
  root: string;
  /** `<cache>/python/<hash>`: the finished environment. */
  directory: string;
  /** `<cache>/python/<hash>.incomplete`: where a build happens before it is renamed into place. */
  stagingDirectory: string;
  /** `<cache>/python/<hash>.lock`: held while one process checks or builds the environment. */
  lockPath: string;
  /** `<directory>/gpux-environment.json`, written last: without it the environment is not complete. */
  markerPath: string;
  pythonExecutable: string;
}

/** The completion marker of a managed environment. */
export interface CompletionMarker {
  formatVersion: 1;
  requirementSet: string;
  hash: string;
  requirementsFile: string;
  pythonVersion: string;
  platform: string;
  basePython: string;
  /** Installed versions of the required packages, by name as written in the requirements. */
  packages: Record<string, string>;
  createdAt: string;
}

export const MARKER_FILE_NAME = 'gpux-environment.json';

/** The interpreter inside a virtual environment. */
export function venvPythonPath(directory: string): string {
  return process.platform === 'win32' ? path.join(directory, 'Scripts', 'python.exe') : path.join(directory, 'bin', 'python');
}

/** The default base interpreter. */
export function defaultBasePython(): string {
  return process.platform === 'win32' ? 'python' : 'python3';
}

/**
 * Reads the requirements, probes the base interpreter and computes where the environment lives.
 *
 * @throws ConversionError `PYTHON_NOT_FOUND` when the base interpreter is missing,
 * `PYTHON_ENVIRONMENT_FAILED` when the requirements file cannot be read.
 */
export async function resolveEnvironmentLayout(
  requirementSet: PythonRequirementSet,
  settings: PythonSettings,
  signal?: AbortSignal,
): Promise<EnvironmentLayout> {
  const requirements = await readRequirements(requirementSet.requirementsFile);
  const basePython = settings.basePython ?? defaultBasePython();
  const base = await probeBasePython(basePython, signal);
  const hash = createHash('sha256')
    .update(
      JSON.stringify({
        formatVersion: 1,
        requirements: requirements.normalizedText,
        pythonVersion: base.pythonVersion,
        implementation: base.implementation,
        platform: base.platform,
        machine: base.machine,
      }),
    )
    .digest('hex')
    .slice(0, 16);
  const root = path.join(resolveGpuxCacheDirectory(settings.cacheDirectory), 'python');
  const directory = path.join(root, hash);
  return {
    requirementSet,
    requirements,
    basePython,
    base,
    hash,
    root,
    directory,
    stagingDirectory: `${directory}.incomplete`,
    lockPath: `${directory}.lock`,
    markerPath: path.join(directory, MARKER_FILE_NAME),
    pythonExecutable: venvPythonPath(directory),
  };
}

const baseProbes = new Map<string, PythonProbe>();

/** Probes a base interpreter once per process (a start costs ~0.1-0.5 s through shims such as pyenv's). */
async function probeBasePython(basePython: string, signal?: AbortSignal): Promise<PythonProbe> {
  const known = baseProbes.get(basePython);
  if (known !== undefined) return known;
  const probe = await probePython(basePython, [], signal);
  baseProbes.set(basePython, probe);
  return probe;
}

/** The environment's completion marker when it is valid for this layout and its interpreter exists; else undefined. */
export async function readCompletionMarker(layout: EnvironmentLayout): Promise<CompletionMarker | undefined> {
  let marker: CompletionMarker;
  try {
    marker = JSON.parse(await readFile(layout.markerPath, 'utf8')) as CompletionMarker;
  } catch {
    return undefined;
  }
  if (marker.formatVersion !== 1 || marker.hash !== layout.hash) return undefined;
  try {
    // stat follows the venv's symlink to the base interpreter: a removed base Python fails here.
    if (!(await stat(layout.pythonExecutable)).isFile()) return undefined;
  } catch {
    return undefined;
  }
  return marker;
}
