import { lstat, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { ConversionError } from '../conversion-error';
import type { ProgressEvent } from '../progress-event';
import type { CompletionMarker, EnvironmentLayout } from './environment-layout';
import { MARKER_FILE_NAME, venvPythonPath } from './environment-layout';
import { PipProgress } from './pip-progress';
import { probePython } from './probe-python';
import type { PythonEnvironment } from './python-environment';
import type { RunCommandOutcome } from './run-command';
import { runCommandIter } from './run-command';

/**
 * Builds the environment of `layout` from scratch: `python -m venv` into the staging directory,
 * `pip install -r`, a check of every pinned package, the completion marker written last, then an
 * atomic rename into place (replacing a broken environment there). The caller holds the lock. On
 * any failure or cancellation the staging directory is removed.
 *
 * @throws ConversionError `PYTHON_ENVIRONMENT_FAILED` (venv or pip failed; pip's stderr tail in the
 * message), `CANCELLED`.
 */
export async function* buildPythonEnvironment(
  layout: EnvironmentLayout,
  signal?: AbortSignal,
): AsyncGenerator<ProgressEvent, PythonEnvironment, void> {
  const name = layout.requirementSet.name;
  const label = `python:${name}`;
  const startedAt = Date.now();
  yield { type: 'phase-start', phase: 'setup', label };
  if (!layout.base.hasVenv || !layout.base.hasEnsurepip) {
    throw new ConversionError(
      'PYTHON_ENVIRONMENT_FAILED',
      `${layout.base.executable} (Python ${layout.base.pythonVersion}) cannot create virtual environments: the ${layout.base.hasVenv ? 'ensurepip' : 'venv'} module is missing. ` +
        `Install it (Debian/Ubuntu: \`sudo apt install python3-venv\`), or set GPUX_PYTHON to an interpreter that has the packages of ${layout.requirementSet.requirementsFile}.`,
      { details: { basePython: layout.base.executable } },
    );
  }
  await rm(layout.stagingDirectory, { recursive: true, force: true });
  let succeeded = false;
  try {
    yield { type: 'message', phase: 'setup', level: 'info', message: `Creating the ${name} Python environment in ${layout.directory}` };
    const venv = yield* drainLines(runCommandIter({ command: layout.base.executable, args: ['-m', 'venv', layout.stagingDirectory], signal }));
    failUnlessSucceeded(venv, `python -m venv ${layout.stagingDirectory}`, layout);
    yield { type: 'percent', phase: 'setup', label, percent: 5 };

    const stagingPython = venvPythonPath(layout.stagingDirectory);
    const pipProgress = new PipProgress(
      layout.requirements.pins.map((pin) => pin.name),
      label,
    );
    const pip = runCommandIter({
      command: stagingPython,
      args: [
        '-m',
        'pip',
        'install',
        '--disable-pip-version-check',
        '--progress-bar',
        'off',
        '--no-input',
        '--no-warn-script-location',
        '-r',
        layout.requirementSet.requirementsFile,
      ],
      env: { ...process.env, PYTHONUNBUFFERED: '1', PIP_NO_INPUT: '1', PIP_REQUIRE_VIRTUALENV: '0' },
      signal,
    });
    let pipOutcome: RunCommandOutcome;
    for (;;) {
      const step = await pip.next();
      if (step.done) {
        pipOutcome = step.value;
        break;
      }
      yield* pipProgress.parse(step.value);
    }
    failUnlessSucceeded(pipOutcome, `pip install -r ${layout.requirementSet.requirementsFile}`, layout);

    const probe = await probePython(stagingPython, layout.requirements.pins, signal);
    const unsatisfied = probe.packages.filter((item) => !item.satisfied);
    if (unsatisfied.length > 0) {
      throw new ConversionError(
        'PYTHON_ENVIRONMENT_FAILED',
        `pip finished, but these required packages are not installed as pinned: ${unsatisfied
          .map((item) => `${item.name}${item.specifier} (found ${item.installed ?? 'nothing'})`)
          .join(', ')}. Check ${layout.requirementSet.requirementsFile}.`,
        { details: { unsatisfied, requirementsFile: layout.requirementSet.requirementsFile } },
      );
    }
    await relocateScripts(layout.stagingDirectory, layout.directory);
    const marker: CompletionMarker = {
      formatVersion: 1,
      requirementSet: name,
      hash: layout.hash,
      requirementsFile: layout.requirementSet.requirementsFile,
      pythonVersion: probe.pythonVersion,
      platform: probe.platform,
      basePython: layout.base.executable,
      packages: Object.fromEntries(probe.packages.filter((item) => item.installed !== null).map((item) => [item.name, item.installed as string])),
      createdAt: new Date().toISOString(),
    };
    throwIfAborted(signal);
    await writeFile(path.join(layout.stagingDirectory, MARKER_FILE_NAME), `${JSON.stringify(marker, null, 2)}\n`);
    await swapIntoPlace(layout);
    succeeded = true;
    yield { type: 'percent', phase: 'setup', label, percent: 100 };
    yield { type: 'phase-end', phase: 'setup', label, durationMs: Date.now() - startedAt };
    return { pythonExecutable: layout.pythonExecutable, managed: true, directory: layout.directory, hash: layout.hash, requirementSet: name };
  } finally {
    if (!succeeded) await rm(layout.stagingDirectory, { recursive: true, force: true });
  }
}

async function* drainLines(iterator: AsyncGenerator<string, RunCommandOutcome, void>): AsyncGenerator<ProgressEvent, RunCommandOutcome, void> {
  for (;;) {
    const step = await iterator.next();
    if (step.done) return step.value;
    if (step.value.trim() !== '') yield { type: 'message', phase: 'setup', level: 'debug', message: step.value };
  }
}

function failUnlessSucceeded(outcome: RunCommandOutcome, what: string, layout: EnvironmentLayout): void {
  const { exit } = outcome;
  if (exit.stopReason === 'abort') {
    throw new ConversionError('CANCELLED', `Building the ${layout.requirementSet.name} Python environment was cancelled.`, {
      details: { directory: layout.directory },
    });
  }
  if (exit.spawnError === undefined && exit.exitCode === 0) return;
  const tail = (outcome.stderrTail.trim() || outcome.stdoutTail.trim()).slice(-4000);
  const how = exit.spawnError !== undefined ? `could not start (${String(exit.spawnError.code)})` : exit.exitSignal !== null ? `was killed by ${exit.exitSignal}` : `exited with code ${String(exit.exitCode)}`;
  throw new ConversionError(
    'PYTHON_ENVIRONMENT_FAILED',
    `Building the ${layout.requirementSet.name} Python environment failed: ${what} ${how}.\n${tail}\n` +
      `Check your network connection and disk space, then run \`gpux-convert setup ${layout.requirementSet.name}\` again.`,
    { cause: exit.spawnError, details: { stderrTail: outcome.stderrTail, stdoutTail: outcome.stdoutTail, exitCode: exit.exitCode, exitSignal: exit.exitSignal } },
  );
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new ConversionError('CANCELLED', 'Building the Python environment was cancelled.');
}

/**
 * A venv is built in the staging directory and then renamed; `python` finds its prefix from its own
 * location, but activation scripts, console-script shebangs and pyvenv.cfg name the staging path.
 * Rewrite those small text files to name the final path.
 */
async function relocateScripts(stagingDirectory: string, finalDirectory: string): Promise<void> {
  const scriptsDirectory = path.dirname(venvPythonPath(stagingDirectory));
  const candidates = [path.join(stagingDirectory, 'pyvenv.cfg'), ...(await readdir(scriptsDirectory)).map((entry) => path.join(scriptsDirectory, entry))];
  for (const file of candidates) {
    const info = await lstat(file);
    if (!info.isFile() || info.size > 1024 * 1024) continue;
    const content = await readFile(file);
    if (content.includes(0)) continue;
    const text = content.toString('utf8');
    if (!text.includes(stagingDirectory)) continue;
    await writeFile(file, text.split(stagingDirectory).join(finalDirectory), { mode: info.mode });
  }
}

/** Renames staging to final; an older (broken) environment there is moved aside and deleted. */
async function swapIntoPlace(layout: EnvironmentLayout): Promise<void> {
  const trash = `${layout.directory}.trash-${process.pid}-${Date.now()}`;
  let movedAside = false;
  try {
    await rename(layout.directory, trash);
    movedAside = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await rename(layout.stagingDirectory, layout.directory);
  if (movedAside) await rm(trash, { recursive: true, force: true });
}
