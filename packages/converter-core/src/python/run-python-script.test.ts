import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import type { ProgressEvent } from '../progress-event';
import { bridgeModuleDirectory } from './resolve-package-directory';
import { runPythonScript, runPythonScriptIter } from './run-python-script';
import { conversionFailure } from './fixtures/conversion-failure';

const python = 'python3';
const fixture = path.join(__dirname, 'fixtures', 'bridge_fixture.py');
const missingImportFixture = path.join(__dirname, 'fixtures', 'missing_import_fixture.py');

let temporaryDirectory: string;

beforeEach(() => {
  temporaryDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'gpux-bridge-test-'));
});

afterEach(() => {
  // Neither the bridge nor the runner writes temporary files (the request travels on stdin): the
  // child's TMPDIR stays empty in every outcome. (os.tmpdir() itself is shared with other test runs.)
  expect(fs.readdirSync(temporaryDirectory)).toEqual([]);
  fs.rmSync(temporaryDirectory, { recursive: true, force: true });
});

function run(request: Record<string, unknown>, extra: Partial<Parameters<typeof runPythonScript>[0]> = {}) {
  const events: ProgressEvent[] = [];
  const promise = runPythonScript<Record<string, unknown>>({
    pythonExecutable: python,
    scriptPath: fixture,
    request,
    env: { TMPDIR: temporaryDirectory },
    onProgress: (event) => events.push(event),
    ...extra,
  });
  return { events, promise };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function pidFrom(events: ProgressEvent[]): number {
  for (const event of events) {
    const match = event.type === 'message' ? /^pid=(\d+)$/.exec(event.message) : null;
    if (match?.[1] !== undefined) return Number(match[1]);
  }
  throw new Error('the fixture reported no pid');
}

describe('runPythonScript', () => {
  it('returns the result and turns progress and log events into progress events', async () => {
    const { events, promise } = run({ mode: 'happy', payload: { answer: 42, list: [1, 2] } });
    const outcome = await promise;
    expect(outcome.result.echo).toEqual({ answer: 42, list: [1, 2] });
    expect(String(outcome.result.pythonPath).split(path.delimiter)[0]).toBe(bridgeModuleDirectory());
    expect(events.filter((event) => event.type === 'percent')).toEqual([
      { type: 'percent', phase: 'export', percent: 25, label: 'step 1' },
      { type: 'percent', phase: 'export', percent: 50, label: 'step 2' },
      { type: 'percent', phase: 'export', percent: 75, label: 'step 3' },
    ]);
    expect(events).toContainEqual({ type: 'message', phase: 'export', level: 'warning', message: 'a warning' });
    expect(events).toContainEqual({ type: 'message', phase: 'export', level: 'info', message: 'step 2' });
    // Noise on stdout is kept with stderr, never parsed as events.
    expect(outcome.stderrTail).toContain('[stdout] noise printed at import time');
    expect(outcome.stderrTail).toContain('print() inside the handler goes to stderr');
    expect(outcome.stderrTail).toContain('os.write(1) inside the handler goes to stderr');
    expect(outcome.peakRssBytes).toBeGreaterThan(1024 * 1024);
    expect(isAlive(pidFrom(events))).toBe(false);
  });

  it('reports progress on the requested phase through the iterator', async () => {
    const iterator = runPythonScriptIter<unknown>({
      pythonExecutable: python,
      scriptPath: fixture,
      request: { mode: 'happy' },
      phase: 'validate',
      env: { TMPDIR: temporaryDirectory },
    });
    const phases = new Set<string>();
    for (;;) {
      const step = await iterator.next();
      if (step.done) break;
      if (step.value.type === 'percent') phases.add(step.value.phase);
    }
    expect([...phases]).toEqual(['validate']);
  });

  it('gives PYTHON_NOT_FOUND when the interpreter does not exist', async () => {
    const missing = path.join(temporaryDirectory, 'no-such-python');
    const error = await conversionFailure(run({ mode: 'happy' }, { pythonExecutable: missing }).promise);
    expect(error.code).toBe('PYTHON_NOT_FOUND');
    expect(error.message).toContain(missing);
    expect(error.message).toContain('GPUX_PYTHON');
  });

  it('gives PYTHON_DEPENDENCY_MISSING naming the module, raised inside the handler', async () => {
    const error = await conversionFailure(run({ mode: 'missing-module' }, { requirementSetName: 'pytorch' }).promise);
    expect(error.code).toBe('PYTHON_DEPENDENCY_MISSING');
    expect(error.details.module).toBe('not_a_module');
    expect(error.message).toContain("'not_a_module'");
    expect(error.message).toContain('gpux-convert setup pytorch');
    expect(String(error.details.traceback)).toContain('import not_a_module');
  });

  it('gives PYTHON_DEPENDENCY_MISSING for an import that fails before the bridge starts', async () => {
    const error = await conversionFailure(run({}, { scriptPath: missingImportFixture }).promise);
    expect(error.code).toBe('PYTHON_DEPENDENCY_MISSING');
    expect(error.details.module).toBe('not_a_module');
    expect(error.message).toContain(`"${python}" -m pip install not_a_module`);
    expect(String(error.details.stderrTail)).toContain('ModuleNotFoundError');
  });

  it('keeps the code of a BridgeError and maps unknown codes to EXPORT_FAILED', async () => {
    const known = await conversionFailure(run({ mode: 'bridge-error' }).promise);
    expect(known.code).toBe('UNSUPPORTED_ARCHITECTURE');
    expect(known.message).toBe('FancyNet is not supported.');
    expect(known.details.architecture).toBe('FancyNet');
    const unknown = await conversionFailure(run({ mode: 'unknown-code' }).promise);
    expect(unknown.code).toBe('EXPORT_FAILED');
    expect(unknown.details.reportedCode).toBe('SOMETHING_ODD');
    const runtime = await conversionFailure(run({ mode: 'runtime-error' }).promise);
    expect(runtime.code).toBe('EXPORT_FAILED');
    expect(runtime.message).toBe('RuntimeError: the framework said no');
    expect(String(runtime.details.traceback)).toContain('raise RuntimeError');
    expect(String(runtime.details.stderrTail)).toContain('RuntimeError: the framework said no');
  });

  it('gives OUT_OF_MEMORY for MemoryError and for a SIGKILL we did not send', async () => {
    const memory = await conversionFailure(run({ mode: 'memory-error' }).promise);
    expect(memory.code).toBe('OUT_OF_MEMORY');
    const { events, promise } = run({ mode: 'self-kill' });
    const killed = await conversionFailure(promise);
    expect(killed.code).toBe('OUT_OF_MEMORY');
    expect(killed.message).toContain('out-of-memory killer');
    expect(killed.details.exitSignal).toBe('SIGKILL');
    expect(events).toContainEqual({ type: 'percent', phase: 'export', percent: 10, label: 'about to be killed' });
    expect(isAlive(pidFrom(events))).toBe(false);
  });

  it('gives EXPORT_FAILED with the stderr tail for a non-zero exit without an error event', async () => {
    const error = await conversionFailure(run({ mode: 'exit-quietly' }).promise);
    expect(error.code).toBe('EXPORT_FAILED');
    expect(error.details.exitCode).toBe(3);
    expect(error.message).toContain('exited with code 3: something went wrong before the result');
  });

  it('gives TIMEOUT for a hung child and leaves no process behind', async () => {
    const { events, promise } = run({ mode: 'hang' }, { timeoutMs: 1500 });
    const error = await conversionFailure(promise);
    expect(error.code).toBe('TIMEOUT');
    expect(error.message).toContain('1500 ms');
    expect(isAlive(pidFrom(events))).toBe(false);
  });

  it('escalates to SIGKILL when the child ignores SIGTERM', async () => {
    const { events, promise } = run({ mode: 'hang', ignoreTerm: true }, { timeoutMs: 1000 });
    const error = await conversionFailure(promise);
    expect(error.code).toBe('TIMEOUT');
    expect(error.details.exitSignal).toBe('SIGKILL');
    expect(isAlive(pidFrom(events))).toBe(false);
  });

  it('gives CANCELLED on abort, after the child has exited, and removes its listener', async () => {
    const controller = new AbortController();
    const listeners: string[] = [];
    const originalAdd = controller.signal.addEventListener.bind(controller.signal);
    const originalRemove = controller.signal.removeEventListener.bind(controller.signal);
    controller.signal.addEventListener = ((type: string, ...rest: [never, never]) => {
      listeners.push(type);
      originalAdd(type, ...rest);
    });
    controller.signal.removeEventListener = ((type: string, ...rest: [never, never]) => {
      listeners.splice(listeners.indexOf(type), 1);
      originalRemove(type, ...rest);
    });

    const events: ProgressEvent[] = [];
    const promise = runPythonScript({
      pythonExecutable: python,
      scriptPath: fixture,
      request: { mode: 'hang' },
      env: { TMPDIR: temporaryDirectory },
      signal: controller.signal,
      onProgress: (event) => {
        events.push(event);
        if (event.type === 'message' && event.message === 'hanging') controller.abort();
      },
    });
    const error = await conversionFailure(promise);
    expect(error.code).toBe('CANCELLED');
    expect(isAlive(pidFrom(events))).toBe(false);
    expect(listeners).toEqual([]);
  });

  it('gives CANCELLED without starting Python when the signal is already aborted', async () => {
    const error = await conversionFailure(run({ mode: 'happy' }, { signal: AbortSignal.abort() }).promise);
    expect(error.code).toBe('CANCELLED');
  });

  it('stops the child when the consumer stops iterating early', async () => {
    const iterator = runPythonScriptIter<unknown>({
      pythonExecutable: python,
      scriptPath: fixture,
      request: { mode: 'hang' },
      env: { TMPDIR: temporaryDirectory },
    });
    let pid: number | undefined;
    for (;;) {
      const step = await iterator.next();
      if (step.done) throw new Error('the hanging fixture returned');
      const match = step.value.type === 'message' ? /^pid=(\d+)$/.exec(step.value.message) : null;
      if (match?.[1] !== undefined) pid = Number(match[1]);
      if (step.value.type === 'percent') break;
    }
    await iterator.return(undefined as never);
    expect(pid).toBeDefined();
    expect(isAlive(pid!)).toBe(false);
  });

  it('rejects bad arguments with errors naming the parameter', async () => {
    await expect(runPythonScript({ pythonExecutable: python, scriptPath: 'relative.py', request: {} })).rejects.toThrow(
      /scriptPath must be an absolute path/,
    );
    await expect(runPythonScript({ pythonExecutable: python, scriptPath: fixture, request: {}, timeoutMs: -1 })).rejects.toThrow(
      RangeError,
    );
  });
});
