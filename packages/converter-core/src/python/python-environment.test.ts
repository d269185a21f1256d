import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import type { ProgressEvent } from '../progress-event';
import { inspectPythonEnvironment } from './inspect-python-environment';
import type { PythonRequirementSet } from './python-environment';
import { ensurePythonEnvironment } from './python-environment';
import { conversionFailure } from './fixtures/conversion-failure';

// Real venvs and real pip against PyPI, with a one-package requirement set.
let savedGpuxPython: string | undefined;
const scratchDirectories: string[] = [];

beforeAll(() => {
  savedGpuxPython = process.env.GPUX_PYTHON;
  delete process.env.GPUX_PYTHON;
});

afterAll(() => {
  if (savedGpuxPython !== undefined) process.env.GPUX_PYTHON = savedGpuxPython;
  for (const directory of scratchDirectories) fs.rmSync(directory, { recursive: true, force: true });
});

function scratch(): { cacheDirectory: string; requirements: PythonRequirementSet } {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'gpux-env-test-'));
  scratchDirectories.push(directory);
  const requirementsFile = path.join(directory, 'requirements.txt');
  fs.writeFileSync(requirementsFile, '# a tiny set for tests\nsix==1.16.0\n');
  return { cacheDirectory: path.join(directory, 'cache'), requirements: { name: 'tiny', requirementsFile } };
}

function collect(): { events: ProgressEvent[]; onProgress: (event: ProgressEvent) => void } {
  const events: ProgressEvent[] = [];
  return { events, onProgress: (event) => events.push(event) };
}

function ranPip(events: ProgressEvent[]): boolean {
  return events.some((event) => event.type === 'message' && event.message.startsWith('Collecting six'));
}

function sixVersion(pythonExecutable: string): string {
  return execFileSync(pythonExecutable, ['-c', 'import six; print(six.__version__)'], { encoding: 'utf8' }).trim();
}

describe('ensurePythonEnvironment and inspectPythonEnvironment', () => {
  it('creates an environment, reuses it, reports a removed package and repairs it with verify', async () => {
    const { cacheDirectory, requirements } = scratch();
    const first = collect();
    const environment = await ensurePythonEnvironment(requirements, { cacheDirectory, onProgress: first.onProgress });
    expect(environment.managed).toBe(true);
    expect(environment.requirementSet).toBe('tiny');
    expect(environment.hash).toMatch(/^[0-9a-f]{16}$/);
    expect(environment.directory).toBe(path.join(cacheDirectory, 'python', environment.hash!));
    expect(environment.pythonExecutable).toBe(path.join(environment.directory!, 'bin', 'python'));
    expect(sixVersion(environment.pythonExecutable)).toBe('1.16.0');
    expect(ranPip(first.events)).toBe(true);
    expect(first.events[0]).toEqual({ type: 'phase-start', phase: 'setup', label: 'python:tiny' });
    expect(first.events).toContainEqual({ type: 'percent', phase: 'setup', label: 'python:tiny', percent: 75 });
    expect(first.events.at(-1)).toMatchObject({ type: 'phase-end', phase: 'setup' });
    const marker = JSON.parse(fs.readFileSync(path.join(environment.directory!, 'gpux-environment.json'), 'utf8')) as Record<string, unknown>;
    expect(marker.packages).toEqual({ six: '1.16.0' });
    expect(marker.hash).toBe(environment.hash);
    // Built in a staging directory and renamed: no path in bin/ still names the staging directory.
    expect(fs.readFileSync(path.join(environment.directory!, 'bin', 'pip'), 'utf8')).not.toContain('.incomplete');
    expect(fs.readdirSync(path.join(cacheDirectory, 'python'))).toEqual([environment.hash]);

    const second = collect();
    const reused = await ensurePythonEnvironment(requirements, { cacheDirectory, onProgress: second.onProgress });
    expect(reused).toEqual(environment);
    expect(ranPip(second.events)).toBe(false);
    expect(second.events.some((event) => event.type === 'phase-start')).toBe(false);

    const healthy = await inspectPythonEnvironment(requirements, { cacheDirectory });
    expect(healthy).toMatchObject({ status: 'complete', hash: environment.hash, directory: environment.directory, missingPackages: [] });
    expect(healthy.packages).toEqual([{ name: 'six', required: '==1.16.0', installed: '1.16.0' }]);
    expect(healthy.fixCommand).toBeUndefined();

    execFileSync(environment.pythonExecutable, ['-m', 'pip', 'uninstall', '-y', '--disable-pip-version-check', 'six'], { stdio: 'ignore' });
    const broken = await inspectPythonEnvironment(requirements, { cacheDirectory });
    expect(broken.status).toBe('broken');
    expect(broken.missingPackages).toEqual(['six']);
    expect(broken.packages).toEqual([{ name: 'six', required: '==1.16.0' }]);
    expect(broken.fixCommand).toBe('gpux-convert setup tiny');

    // Without verify, ensure trusts the marker (no Python start); with verify it rebuilds.
    const trusting = collect();
    await ensurePythonEnvironment(requirements, { cacheDirectory, onProgress: trusting.onProgress });
    expect(ranPip(trusting.events)).toBe(false);
    const repair = collect();
    const repaired = await ensurePythonEnvironment(requirements, { cacheDirectory, verify: true, onProgress: repair.onProgress });
    expect(ranPip(repair.events)).toBe(true);
    expect(repaired.directory).toBe(environment.directory);
    expect(sixVersion(repaired.pythonExecutable)).toBe('1.16.0');
    expect((await inspectPythonEnvironment(requirements, { cacheDirectory })).status).toBe('complete');
    expect(fs.readdirSync(path.join(cacheDirectory, 'python'))).toEqual([environment.hash]);
  });

  it('leaves nothing taken as complete when a build is cancelled, and repairs leftovers', async () => {
    const { cacheDirectory, requirements } = scratch();
    const controller = new AbortController();
    const cancelled = await conversionFailure(
      ensurePythonEnvironment(requirements, {
        cacheDirectory,
        signal: controller.signal,
        onProgress: (event) => {
          if (event.type === 'message' && event.message.startsWith('Collecting')) controller.abort();
        },
      }),
    );
    expect(cancelled.code).toBe('CANCELLED');
    const afterCancel = await inspectPythonEnvironment(requirements, { cacheDirectory });
    expect(afterCancel.status).toBe('missing');
    expect(afterCancel.fixCommand).toBe('gpux-convert setup tiny');
    expect(fs.readdirSync(path.join(cacheDirectory, 'python'))).toEqual([]);

    // A crash mid-build leaves a staging directory and, say, a final directory without a marker.
    fs.mkdirSync(path.join(afterCancel.directory, 'bin'), { recursive: true });
    fs.writeFileSync(path.join(afterCancel.directory, 'bin', 'python'), 'not a python');
    fs.mkdirSync(`${afterCancel.directory}.incomplete`);
    fs.writeFileSync(path.join(`${afterCancel.directory}.incomplete`, 'junk'), 'x');
    expect((await inspectPythonEnvironment(requirements, { cacheDirectory })).status).toBe('incomplete');

    const progress = collect();
    const environment = await ensurePythonEnvironment(requirements, { cacheDirectory, onProgress: progress.onProgress });
    expect(ranPip(progress.events)).toBe(true);
    expect(environment.directory).toBe(afterCancel.directory);
    expect(sixVersion(environment.pythonExecutable)).toBe('1.16.0');
    expect((await inspectPythonEnvironment(requirements, { cacheDirectory })).status).toBe('complete');
    expect(fs.readdirSync(path.join(cacheDirectory, 'python'))).toEqual([environment.hash]);
  });

  it('builds one environment when two callers ensure the same set at once', async () => {
    const { cacheDirectory, requirements } = scratch();
    const a = collect();
    const b = collect();
    const [first, second] = await Promise.all([
      ensurePythonEnvironment(requirements, { cacheDirectory, onProgress: a.onProgress }),
      ensurePythonEnvironment(requirements, { cacheDirectory, onProgress: b.onProgress }),
    ]);
    expect(second).toEqual(first);
    expect([ranPip(a.events), ranPip(b.events)].filter(Boolean)).toHaveLength(1);
    expect(fs.readdirSync(path.join(cacheDirectory, 'python'))).toEqual([first.hash]);
    expect(sixVersion(first.pythonExecutable)).toBe('1.16.0');
  });

  it('uses the caller’s interpreter as-is from pythonExecutable or GPUX_PYTHON', async () => {
    const { cacheDirectory, requirements } = scratch();
    const fromOption = await ensurePythonEnvironment(requirements, { cacheDirectory, pythonExecutable: 'python3' });
    expect(fromOption).toEqual({ pythonExecutable: 'python3', managed: false, requirementSet: 'tiny' });
    const realPython = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
    process.env.GPUX_PYTHON = realPython;
    try {
      const fromEnvironment = await ensurePythonEnvironment(requirements, { cacheDirectory });
      expect(fromEnvironment).toEqual({ pythonExecutable: realPython, managed: false, requirementSet: 'tiny' });
      const report = await inspectPythonEnvironment(requirements, { cacheDirectory });
      expect(report.status).toBe('external');
      expect(report.pythonExecutable).toBe(realPython);
      const six = report.packages.find((item) => item.name === 'six');
      expect(six?.required).toBe('==1.16.0');
      if (six?.installed === '1.16.0') {
        expect(report.missingPackages).toEqual([]);
      } else {
        expect(report.missingPackages).toEqual(['six']);
        expect(report.fixCommand).toBe(`${realPython} -m pip install -r ${requirements.requirementsFile}`);
      }
    } finally {
      delete process.env.GPUX_PYTHON;
    }
    expect(fs.existsSync(cacheDirectory)).toBe(false);
  });

  it('gives PYTHON_NOT_FOUND when the base or the chosen interpreter is missing', async () => {
    const { cacheDirectory, requirements } = scratch();
    const missing = path.join(cacheDirectory, 'no-python3');
    const base = await conversionFailure(ensurePythonEnvironment(requirements, { cacheDirectory, basePython: missing }));
    expect(base.code).toBe('PYTHON_NOT_FOUND');
    expect(base.message).toContain(missing);
    expect(base.message).toContain('GPUX_PYTHON');
    const chosen = await conversionFailure(ensurePythonEnvironment(requirements, { cacheDirectory, pythonExecutable: missing }));
    expect(chosen.code).toBe('PYTHON_NOT_FOUND');
    const report = await inspectPythonEnvironment(requirements, { cacheDirectory, basePython: missing });
    expect(report.status).toBe('missing');
    expect(report.problem).toContain(missing);
  });

  it('rejects a malformed requirement set', async () => {
    await expect(ensurePythonEnvironment({ name: 'tiny', requirementsFile: 'relative.txt' })).rejects.toThrow(/requirementsFile must be an absolute path/);
    await expect(ensurePythonEnvironment({ name: '', requirementsFile: '/x.txt' })).rejects.toThrow(TypeError);
  });
});
