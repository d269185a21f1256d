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
import { bridgeModuleDirectory } from './resolve-package-directory';
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
  validateOptions(options);
  const phase = options.phase ?? 'export';
  const phaseIsFixed = options.phase !== undefined;
  const context = {
    pythonExecutable: options.pythonExecutable,
    scriptPath: options.scriptPath,
    requirementSetName: options.requirementSetName,
    timeoutMs: options.timeoutMs,
    stderrTail: '',
  };
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

  const startedAt = Date.now();
  const stderr = new OutputTail(8192);
  const channel = new EventChannel<ProgressEvent>();
  let resultEvent: { result: unknown; peakRssBytes?: unknown } | undefined;
  let errorEvent: BridgeErrorEvent | undefined;

  const onLine = (line: string): void => {
    const event = parseEventLine(line);
    if (event === undefined) {
      if (line.trim() !== '') stderr.append(`[stdout] ${line}\n`);
      return;
    }
    if (event.type === 'result') resultEvent = { result: event.result, peakRssBytes: event.peakRssBytes };
    else if (event.type === 'error') errorEvent = event as BridgeErrorEvent;
    else for (const progressEvent of toProgressEvents(event, phase, phaseIsFixed)) channel.push(progressEvent);
  };

  const child = spawnSupervised({
    command: options.pythonExecutable,
    args: ['-u', options.scriptPath],
    env: buildEnvironment(options.env),
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
    const reportedPeak =
      typeof resultEvent?.peakRssBytes === 'number' ? resultEvent.peakRssBytes : readPeak(errorEvent);
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

function validateOptions(options: RunPythonScriptOptions): void {
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

function buildEnvironment(extra: Record<string, string> | undefined): NodeJS.ProcessEnv {
  const merged: NodeJS.ProcessEnv = { ...process.env, ...extra };
  const existing = merged.PYTHONPATH;
  const bridgeDirectory = bridgeModuleDirectory();
  merged.PYTHONPATH = existing !== undefined && existing !== '' ? `${bridgeDirectory}${path.delimiter}${existing}` : bridgeDirectory;
  merged.PYTHONUNBUFFERED = '1';
  merged.GPUX_BRIDGE_PARENT_PID = String(process.pid);
  merged.PYTHONIOENCODING = 'utf-8';
  return merged;
}

type BridgeEvent = { type: string } & Record<string, unknown>;

/** Parses one stdout line; tolerates noise printed before the event on the same line. */
function parseEventLine(line: string): BridgeEvent | undefined {
  const trimmed = line.trim();
  if (trimmed === '') return undefined;
  const candidates = [trimmed];
  const embedded = trimmed.indexOf('{"type"');
  if (embedded > 0) candidates.push(trimmed.slice(embedded));
  for (const candidate of candidates) {
    if (!candidate.startsWith('{')) continue;
    try {
      const parsed: unknown = JSON.parse(candidate);
      if (typeof parsed === 'object' && parsed !== null && typeof (parsed as { type?: unknown }).type === 'string') {
        return parsed as BridgeEvent;
      }
    } catch {
      // Not an event: noise that reached stdout.
    }
  }
  return undefined;
}

const phases = new Set<string>(['setup', 'resolve', 'download', 'detect', 'export', 'validate', 'optimize', 'quantize', 'write']);

function toProgressEvents(event: BridgeEvent, defaultPhase: ConversionPhase, phaseIsFixed: boolean): ProgressEvent[] {
  const events: ProgressEvent[] = [];
  const message = typeof event.message === 'string' ? event.message : undefined;
  if (event.type === 'progress') {
    const phase =
      !phaseIsFixed && typeof event.phase === 'string' && phases.has(event.phase) ? (event.phase as ConversionPhase) : defaultPhase;
    if (typeof event.percent === 'number' && Number.isFinite(event.percent)) {
      const percentEvent: ProgressEvent = { type: 'percent', phase, percent: Math.min(100, Math.max(0, event.percent)) };
      if (message !== undefined) percentEvent.label = message;
      events.push(percentEvent);
    }
    if (message !== undefined) events.push({ type: 'message', phase, level: 'info', message });
  } else if (event.type === 'log' && message !== undefined) {
    const level = event.level === 'debug' || event.level === 'warning' ? event.level : event.level === 'error' ? 'warning' : 'info';
    events.push({ type: 'message', phase: defaultPhase, level, message });
  }
  return events;
}

function readPeak(event: BridgeErrorEvent | undefined): number | undefined {
  const value = (event as { peakRssBytes?: unknown } | undefined)?.peakRssBytes;
  return typeof value === 'number' ? value : undefined;
}
