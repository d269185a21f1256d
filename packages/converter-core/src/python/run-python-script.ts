import { existsSync } from 'node:fs';
import path from 'node:path';

import { ConversionError } from '../conversion-error';
import type { ConversionPhase, ProgressCallback, ProgressEvent } from '../progress-event';
import { drainEvents } from '../progress-event';
import { EventChannel } from './event-channel';
import { OutputTail } from './output-tail';
import { PeakRssSampler } from './peak-rss-sampler';
import type { BridgeErrorEvent } from './python-failure';
import { errorFromBridgeEvent, errorFromExit } from './python-failure';
import { bridgeProgressEvents, buildBridgeEnvironment, parseBridgeEventLine, reportedPeakRss } from './bridge-protocol';
import { spawnSupervised } from './spawn-supervised';

/** How to run one bridge script. */
export interface RunPythonScriptOptions {
  /** The interpreter, usually `PythonEnvironment.pythonExecutable`. */
  pythonExecutable: string;
  /** Absolute path of a script that calls `gpux_bridge.run(handler)`. */
  scriptPath: string;
  /** Sent to the script as JSON on stdin. */
  request: unknown;
  /** Stop the script (TIMEOUT) after this long. @default no limit */
  timeoutMs?: number;
  /** Aborting stops the script (CANCELLED): SIGTERM, then SIGKILL after 3 s. */
  signal?: AbortSignal;
  /** Extra environment variables (on top of `process.env`). */
  env?: Record<string, string>;
  cwd?: string;
  /**
   * The phase the script's progress events are reported on. When left out, the phase named in each
   * progress event is used (when it is a known phase), else `export`. @default "export"
   */
  phase?: ConversionPhase;
  /** Name of the requirement set the interpreter belongs to, for the fix in PYTHON_DEPENDENCY_MISSING (`gpux-convert setup <name>`). */
  requirementSetName?: string;
  /**
   * Run the script on a warm worker of this pool (a {@link PythonWorkerPool}) instead of a one-shot
   * child: the interpreter, its imports and loaded frameworks are reused across calls. Errors,
   * progress, timeout and cancellation behave as with a one-shot child. @default a one-shot child
   */
  workers?: PythonScriptRunner;
}

/**
 * Something that runs bridge scripts: {@link PythonWorkerPool}, or a stand-in with the same method.
 * `runIter` must behave as {@link runPythonScriptIter} does.
 */
export interface PythonScriptRunner {
  runIter<T>(options: RunPythonScriptOptions): AsyncGenerator<ProgressEvent, PythonScriptResult<T>, void>;
}

/** What a script returned. */
export interface PythonScriptResult<T> {
  result: T;
  /** Peak resident memory of the child: as reported by the script, else sampled from /proc. */
  peakRssBytes?: number;
  durationMs: number;
  /** The last ~8 KiB of the child's stderr. */
  stderrTail: string;
}

/**
 * Runs a Python script that speaks gpux_bridge.py's protocol: the request goes in as JSON on stdin,
 * newline-delimited JSON events come out on stdout. `progress` events become `percent` and
 * `message` events on `phase`, `log` events become `message` events, `result` ends the run and
 * `error` becomes a {@link ConversionError} with the script's code. The promise settles only after
 * the child has exited.
 *
 * @throws ConversionError `PYTHON_NOT_FOUND` (interpreter missing), `PYTHON_DEPENDENCY_MISSING`
 * (names the module and the fix), `OUT_OF_MEMORY` (MemoryError or killed by the kernel), `TIMEOUT`,
 * `CANCELLED`, `EXPORT_FAILED` (the script's own message, or its exit and stderr tail), or the code
 * the script reported.
 * @example
 * ```ts
 * const iterator = runPythonScriptIter<{ files: string[] }>({ pythonExecutable, scriptPath, request: { model: 'bert' } });
 * for (;;) {
 *   const step = await iterator.next();
 *   if (step.done) { console.log(step.value.result.files); break; }
 *   console.log(step.value);
 * }
 * ```
 */
export async function* runPythonScriptIter<T>(
  options: RunPythonScriptOptions,
): AsyncGenerator<ProgressEvent, PythonScriptResult<T>, void> {
  checkBeforeStart(options);
  if (options.workers !== undefined) {
    const { workers, ...rest } = options;
    return yield* workers.runIter<T>(rest);
  }
  const phase = options.phase ?? 'export';
  const phaseIsFixed = options.phase !== undefined;
  const context = {
    pythonExecutable: options.pythonExecutable,
    scriptPath: options.scriptPath,
    requirementSetName: options.requirementSetName,
    timeoutMs: options.timeoutMs,
    stderrTail: '',
  };

  const startedAt = Date.now();
  const stderr = new OutputTail(8192);
  const channel = new EventChannel<ProgressEvent>();
  let resultEvent: { result: unknown; peakRssBytes?: unknown } | undefined;
  let errorEvent: BridgeErrorEvent | undefined;

  const onLine = (line: string): void => {
    const event = parseBridgeEventLine(line);
    if (event === undefined) {
      if (line.trim() !== '') stderr.append(`[stdout] ${line}\n`);
      return;
    }
    if (event.type === 'result') resultEvent = { result: event.result, peakRssBytes: event.peakRssBytes };
    else if (event.type === 'error') errorEvent = event as BridgeErrorEvent;
    else for (const progressEvent of bridgeProgressEvents(event, { phase, phaseIsFixed })) channel.push(progressEvent);
  };

  const child = spawnSupervised({
    command: options.pythonExecutable,
    args: ['-u', options.scriptPath],
    env: buildBridgeEnvironment(options.env),
    cwd: options.cwd,
    // One line (JSON.stringify never writes a newline); stdin stays open so the child's watchdog
    // sees EOF when this process dies (gpux_bridge.read_request).
    stdin: `${JSON.stringify(options.request ?? null)}\n`,
    keepStdinOpen: true,
    signal: options.signal,
    timeoutMs: options.timeoutMs,
    onStdoutLine: onLine,
    onStderr: (text) => stderr.append(text),
  });
  const sampler = new PeakRssSampler(child.pid);
  let finished = false;
  child.exited.then(
    () => channel.close(),
    () => channel.close(),
  );

  try {
    for await (const event of channel) yield event;
    const exit = await child.exited;
    finished = true;
    sampler.stop();
    const reportedPeak = reportedPeakRss(resultEvent) ?? reportedPeakRss(errorEvent as Record<string, unknown> | undefined);
    const peakRssBytes = reportedPeak ?? sampler.peakRssBytes;
    const failureContext = { ...context, stderrTail: stderr.toString(), peakRssBytes };
    if (exit.spawnError !== undefined || exit.stopReason !== undefined) throw errorFromExit(exit, failureContext);
    if (errorEvent !== undefined) throw errorFromBridgeEvent(errorEvent, failureContext);
    if (resultEvent !== undefined && exit.exitCode === 0) {
      const outcome: PythonScriptResult<T> = {
        result: resultEvent.result as T,
        durationMs: Date.now() - startedAt,
        stderrTail: failureContext.stderrTail,
      };
      if (peakRssBytes !== undefined) outcome.peakRssBytes = peakRssBytes;
      return outcome;
    }
    throw errorFromExit(exit, failureContext);
  } finally {
    if (!finished) {
      // The consumer stopped iterating early: the child must not outlive this call.
      child.stop('consumer');
      await child.exited;
      sampler.stop();
    }
  }
}

/**
 * Awaitable form of {@link runPythonScriptIter}.
 *
 * @throws ConversionError as {@link runPythonScriptIter} does.
 * @example
 * ```ts
 * const { result, peakRssBytes } = await runPythonScript<{ opset: number }>({
 *   pythonExecutable: environment.pythonExecutable,
 *   scriptPath,
 *   request,
 *   signal,
 *   onProgress: (event) => console.log(event),
 * });
 * ```
 */
export function runPythonScript<T>(
  options: RunPythonScriptOptions & { onProgress?: ProgressCallback },
): Promise<PythonScriptResult<T>> {
  return drainEvents(runPythonScriptIter<T>(options), options.onProgress);
}

/**
 * The checks every runner makes before it starts a script: valid options, a signal not yet aborted,
 * a script that exists.
 *
 * @throws TypeError / RangeError for bad options; ConversionError `CANCELLED` (already aborted) or
 * `INTERNAL_ERROR` (no such script).
 */
export function checkBeforeStart(options: RunPythonScriptOptions): void {
  validateRunPythonScriptOptions(options);
  if (options.signal?.aborted === true) {
    throw new ConversionError('CANCELLED', `The Python script ${path.basename(options.scriptPath)} was cancelled before it started.`, {
      details: { scriptPath: options.scriptPath },
    });
  }
  if (!existsSync(options.scriptPath)) {
    throw new ConversionError('INTERNAL_ERROR', `The Python script ${options.scriptPath} does not exist. Reinstall the package that ships it.`, {
      details: { scriptPath: options.scriptPath },
    });
  }
}

function validateRunPythonScriptOptions(options: RunPythonScriptOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`options must be an object, received ${String(options)}`);
  }
  if (typeof options.pythonExecutable !== 'string' || options.pythonExecutable === '') {
    throw new TypeError(`pythonExecutable must be a non-empty string, received ${JSON.stringify(options.pythonExecutable)}`);
  }
  if (typeof options.scriptPath !== 'string' || !path.isAbsolute(options.scriptPath)) {
    throw new TypeError(`scriptPath must be an absolute path, received ${JSON.stringify(options.scriptPath)}`);
  }
  if (options.timeoutMs !== undefined && !(Number.isFinite(options.timeoutMs) && options.timeoutMs > 0)) {
    throw new RangeError(`timeoutMs must be a positive number of milliseconds, received ${String(options.timeoutMs)}`);
  }
}
