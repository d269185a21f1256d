import path from 'node:path';

import type { PythonSettings } from '../adapter';
import type { ProgressCallback, ProgressEvent } from '../progress-event';
import { drainEvents } from '../progress-event';
import { buildPythonEnvironment } from './build-python-environment';
import type { EnvironmentLayout } from './environment-layout';
import { readCompletionMarker, resolveEnvironmentLayout } from './environment-layout';
import { acquireEnvironmentLock } from './environment-lock';
import { probePython } from './probe-python';

/** A named, pinned set of Python requirements (one per adapter). */
export interface PythonRequirementSet {
  /** Short name used in commands and messages: `pytorch`, `tensorflow`. */
  name: string;
  /** Absolute path of a pip requirements file, e.g. `<package>/python/requirements.txt`. */
  requirementsFile: string;
}

/** An interpreter ready to run a requirement set's scripts. */
export interface PythonEnvironment {
  pythonExecutable: string;
  /** True for an environment GPUX built; false for the caller's own interpreter (`GPUX_PYTHON`). */
  managed: boolean;
  /** The managed environment's directory, `<cache>/python/<hash>`. */
  directory?: string;
  hash?: string;
  /** The requirement set's name. */
  requirementSet: string;
}

/** Settings of {@link ensurePythonEnvironmentIter}. */
export interface EnsurePythonEnvironmentSettings extends PythonSettings {
  signal?: AbortSignal;
  /**
   * Also check an existing environment's packages (one Python start) and rebuild it when one is
   * missing or at the wrong version. `gpux-convert setup` passes true. @default false
   */
  verify?: boolean;
  /** Rebuild the environment even when it is complete. @default false */
  rebuild?: boolean;
}

/**
 * Makes sure the managed virtual environment for `requirements` exists and returns its interpreter.
 *
 * The environment lives at `<cache>/python/<hash>`, where the hash covers the normalized
 * requirements, the base interpreter's version and its platform; one that is complete (its
 * completion marker, written last, is present) is reused without running pip. Otherwise it is
 * built in `<hash>.incomplete` and renamed into place, under a lock so that concurrent callers build
 * it once. An interrupted build never leaves an environment that is taken as complete.
 *
 * With `settings.pythonExecutable` or `GPUX_PYTHON` set, that interpreter is used as-is (checked
 * only to exist) and `managed` is false.
 *
 * Yields `setup` phase events while building: phase-start/end, pip's messages and percent.
 *
 * @throws ConversionError `PYTHON_NOT_FOUND` (no base interpreter, or the given one is missing),
 * `PYTHON_ENVIRONMENT_FAILED` (venv or pip failed, with pip's stderr tail), `CANCELLED`.
 * @example
 * ```ts
 * const environment = await ensurePythonEnvironment(
 *   { name: 'pytorch', requirementsFile: path.join(packageDirectory, 'python', 'requirements.txt') },
 *   { onProgress: (event) => console.log(event) },
 * );
 * ```
 */
export async function* ensurePythonEnvironmentIter(
  requirements: PythonRequirementSet,
  settings: EnsurePythonEnvironmentSettings = {},
): AsyncGenerator<ProgressEvent, PythonEnvironment, void> {
  validateRequirementSet(requirements);
  const { signal } = settings;
  const external = externalInterpreter(settings);
  if (external !== undefined) {
    await probePython(external, [], signal);
    yield { type: 'message', phase: 'setup', level: 'debug', message: `Using the Python interpreter ${external} for ${requirements.name} (not managed by GPUX).` };
    return { pythonExecutable: external, managed: false, requirementSet: requirements.name };
  }

  const layout = await resolveEnvironmentLayout(requirements, settings, signal);
  if (await isUsable(layout, settings)) {
    yield reuseMessage(layout);
    return environmentOf(layout);
  }
  const lock = yield* acquireEnvironmentLock(
    layout.lockPath,
    `Waiting for another process that is building the ${requirements.name} Python environment in ${layout.directory}…`,
    signal,
  );
  try {
    // Another process may have finished it while we waited for the lock.
    if (await isUsable(layout, settings)) {
      yield reuseMessage(layout);
      return environmentOf(layout);
    }
    return yield* buildPythonEnvironment(layout, signal);
  } finally {
    await lock.release();
  }
}

/**
 * Awaitable form of {@link ensurePythonEnvironmentIter}.
 *
 * @throws ConversionError as {@link ensurePythonEnvironmentIter} does.
 * @example
 * ```ts
 * const { pythonExecutable } = await ensurePythonEnvironment(requirementSet, { signal });
 * ```
 */
export function ensurePythonEnvironment(
  requirements: PythonRequirementSet,
  settings: EnsurePythonEnvironmentSettings & { onProgress?: ProgressCallback } = {},
): Promise<PythonEnvironment> {
  return drainEvents(ensurePythonEnvironmentIter(requirements, settings), settings.onProgress);
}

/** The caller's own interpreter, from settings or `GPUX_PYTHON`, when one is chosen. */
export function externalInterpreter(settings: PythonSettings, environment: NodeJS.ProcessEnv = process.env): string | undefined {
  if (settings.pythonExecutable !== undefined && settings.pythonExecutable.trim() !== '') return settings.pythonExecutable;
  const fromEnvironment = environment.GPUX_PYTHON;
  return fromEnvironment !== undefined && fromEnvironment.trim() !== '' ? fromEnvironment : undefined;
}

/** @throws TypeError when the requirement set is malformed. */
export function validateRequirementSet(requirements: PythonRequirementSet): void {
  if (typeof requirements !== 'object' || requirements === null) {
    throw new TypeError(`requirements must be an object { name, requirementsFile }, received ${String(requirements)}`);
  }
  if (typeof requirements.name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(requirements.name)) {
    throw new TypeError(`requirements.name must be a short name such as "pytorch", received ${JSON.stringify(requirements.name)}`);
  }
  if (typeof requirements.requirementsFile !== 'string' || !path.isAbsolute(requirements.requirementsFile)) {
    throw new TypeError(`requirements.requirementsFile must be an absolute path, received ${JSON.stringify(requirements.requirementsFile)}`);
  }
}

async function isUsable(layout: EnvironmentLayout, settings: EnsurePythonEnvironmentSettings): Promise<boolean> {
  if (settings.rebuild === true) return false;
  if ((await readCompletionMarker(layout)) === undefined) return false;
  if (settings.verify !== true) return true;
  try {
    const probe = await probePython(layout.pythonExecutable, layout.requirements.pins, settings.signal);
    return probe.packages.every((item) => item.satisfied);
  } catch (error) {
    if ((error as { code?: unknown }).code === 'CANCELLED') throw error;
    return false;
  }
}

function reuseMessage(layout: EnvironmentLayout): ProgressEvent {
  return {
    type: 'message',
    phase: 'setup',
    level: 'debug',
    message: `Using the ${layout.requirementSet.name} Python environment in ${layout.directory}.`,
  };
}

function environmentOf(layout: EnvironmentLayout): PythonEnvironment {
  return {
    pythonExecutable: layout.pythonExecutable,
    managed: true,
    directory: layout.directory,
    hash: layout.hash,
    requirementSet: layout.requirementSet.name,
  };
}
