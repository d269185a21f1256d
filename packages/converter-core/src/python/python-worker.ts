import { ConversionError } from '../conversion-error';
import type { ProgressEvent } from '../progress-event';
import { bridgeProgressEvents, buildBridgeEnvironment, parseBridgeEventLine, reportedPeakRss, type BridgeEvent } from './bridge-protocol';
import { EventChannel } from './event-channel';
import { OutputTail } from './output-tail';
import { PeakRssSampler } from './peak-rss-sampler';
import { errorFromBridgeEvent, errorFromExit, type BridgeErrorEvent, type PythonFailureContext } from './python-failure';
import type { PythonScriptResult, RunPythonScriptOptions } from './run-python-script';
import { spawnSupervised, type StopReason, type SupervisedChild, type SupervisedChildExit } from './spawn-supervised';

/** The stderr line gpux_bridge.py's serve mode writes after each request (then the request id). */
const REQUEST_END_MARKER = '\u001egpux-request-end ';

/** How long a request waits for its end marker on stderr once its result has arrived. */
const STDERR_END_WAIT_MS = 1000;

/** A partial stderr line longer than this is kept without waiting for its newline (a progress bar drawn with `\r`). */
const MAX_PENDING_STDERR = 64 * 1024;

/** The request a worker is serving. */
interface ActiveRequest {
  id: string;
  channel: EventChannel<ProgressEvent>;
  stderr: OutputTail;
  phase: { phase: NonNullable<RunPythonScriptOptions['phase']>; phaseIsFixed: boolean };
  outcome?: BridgeEvent;
  stderrEnded: boolean;
  endTimer?: NodeJS.Timeout;
}

/**
 * One long-lived gpux_bridge.py process in serve mode (`GPUX_BRIDGE_SERVE=1`), serving requests one
 * at a time over JSON lines. Internal to {@link PythonWorkerPool}.
 */
export class PythonWorker {
  /** Requests this process has started serving. */
  requestCount = 0;
  /** Resident memory after the last request, as the script reported it. */
  lastRssBytes: number | undefined;
  /** When it last became idle (ms since the epoch). */
  idleSince = Date.now();
  idleTimer: NodeJS.Timeout | undefined;
  private readonly child: SupervisedChild;
  private active: ActiveRequest | undefined;
  private exit: SupervisedChildExit | undefined;
  /** Stderr written while no request ran (start-up warnings): it goes to the next request's tail. */
  private idleStderr = new OutputTail(8192);
  private pendingStderr = '';
  private retiring = false;

  constructor(
    readonly key: string,
    private readonly pythonExecutable: string,
    private readonly scriptPath: string,
  ) {
    this.child = spawnSupervised({
      command: pythonExecutable,
      args: ['-u', scriptPath],
      env: { ...buildBridgeEnvironment(undefined), GPUX_BRIDGE_SERVE: '1' },
      // Requests are written as they come; stdin stays open so the child sees EOF when we die.
      keepStdinOpen: true,
      onStdoutLine: (line) => this.onStdoutLine(line),
      onStderr: (text) => this.onStderr(text),
    });
    void this.child.exited.then((exit) => {
      this.exit = exit;
      this.active?.channel.close();
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** True until the process has exited or been asked to. */
  get alive(): boolean {
    return this.exit === undefined && !this.retiring;
  }

  get busy(): boolean {
    return this.active !== undefined;
  }

  /** Settles once the process is gone. */
  get exited(): Promise<SupervisedChildExit> {
    return this.child.exited;
  }

  /**
   * Serves one request. A failure the script reports leaves the process alive for the next request;
   * a timeout, an abort or the consumer stopping early kills it (the request fails with TIMEOUT or
   * CANCELLED), and a process that dies on its own fails the request only (`details.workerCrashed`).
   */
  async *request<T>(options: RunPythonScriptOptions): AsyncGenerator<ProgressEvent, PythonScriptResult<T>, void> {
    if (this.active !== undefined) throw new Error('PythonWorker.request: the worker is busy');
    clearTimeout(this.idleTimer);
    this.requestCount += 1;
    const startedAt = Date.now();
    const active: ActiveRequest = {
      id: `r${this.requestCount}`,
      channel: new EventChannel<ProgressEvent>(),
      stderr: new OutputTail(8192),
      phase: { phase: options.phase ?? 'export', phaseIsFixed: options.phase !== undefined },
      stderrEnded: false,
    };
    active.stderr.append(this.idleStderr.toString().replace(/^…/, ''));
    this.idleStderr = new OutputTail(8192);
    this.active = active;
    const sampler = new PeakRssSampler(this.child.pid);
    let timeoutTimer: NodeJS.Timeout | undefined;
    const stopFor = (reason: StopReason) => () => this.child.stop(reason);
    const onAbort = stopFor('abort');
    let finished = false;
    try {
      if (this.exit === undefined) {
        const message = { type: 'request', id: active.id, request: options.request ?? null, env: options.env ?? {}, cwd: options.cwd };
        this.child.write(`${JSON.stringify(message)}\n`);
        if (options.timeoutMs !== undefined) timeoutTimer = setTimeout(stopFor('timeout'), options.timeoutMs);
        options.signal?.addEventListener('abort', onAbort, { once: true });
      } else {
        active.channel.close();
      }
      for await (const event of active.channel) yield event;
      finished = true;
      const outcome = active.outcome;
      const context: PythonFailureContext = {
        pythonExecutable: this.pythonExecutable,
        scriptPath: this.scriptPath,
        stderrTail: active.stderr.toString(),
        requirementSetName: options.requirementSetName,
        timeoutMs: options.timeoutMs,
      };
      const peakRssBytes = reportedPeakRss(outcome) ?? sampler.peakRssBytes;
      if (peakRssBytes !== undefined) context.peakRssBytes = peakRssBytes;
      if (outcome?.type === 'result') {
        if (typeof outcome.rssBytes === 'number') this.lastRssBytes = outcome.rssBytes;
        return {
          result: outcome.result as T,
          durationMs: Date.now() - startedAt,
          stderrTail: context.stderrTail,
          ...(peakRssBytes === undefined ? {} : { peakRssBytes }),
        };
      }
      if (outcome?.type === 'error') {
        if (typeof outcome.rssBytes === 'number') this.lastRssBytes = outcome.rssBytes;
        throw errorFromBridgeEvent(outcome as BridgeErrorEvent, context);
      }
      const exit = await this.child.exited;
      const error = errorFromExit(exit, context);
      // Stopped by us, never started, or a missing module at import: not a crash of a working worker.
      if (exit.stopReason !== undefined || exit.spawnError !== undefined || error.code === 'PYTHON_DEPENDENCY_MISSING') throw error;
      throw new ConversionError(error.code, `${error.message} (the warm Python worker, pid ${String(this.child.pid)}, died during request ${String(this.requestCount)}; the next request gets a new worker)`, {
        details: { ...error.details, workerCrashed: true, workerPid: this.child.pid, workerRequestCount: this.requestCount },
      });
    } finally {
      clearTimeout(timeoutTimer);
      clearTimeout(active.endTimer);
      options.signal?.removeEventListener('abort', onAbort);
      sampler.stop();
      if (!finished) {
        // The consumer stopped iterating early: the request's state in Python is unknown.
        this.child.stop('consumer');
        await this.child.exited;
      }
      this.active = undefined;
      this.idleSince = Date.now();
    }
  }

  /** Ends the process: stdin closes (the script exits on EOF), SIGTERM/SIGKILL if it lingers. */
  retire(): Promise<SupervisedChildExit> {
    if (!this.retiring && this.exit === undefined) {
      this.retiring = true;
      clearTimeout(this.idleTimer);
      this.child.closeStdin();
      const lingering = setTimeout(() => this.child.stop('consumer'), 2000);
      void this.child.exited.then(() => clearTimeout(lingering));
    }
    return this.child.exited;
  }

  /** Kills the process at once (SIGTERM, SIGKILL after the grace period). */
  kill(): Promise<SupervisedChildExit> {
    this.retiring = true;
    clearTimeout(this.idleTimer);
    this.child.stop('abort');
    return this.child.exited;
  }

  private onStdoutLine(line: string): void {
    const event = parseBridgeEventLine(line);
    const active = this.active;
    if (event === undefined) {
      if (line.trim() !== '') (active?.stderr ?? this.idleStderr).append(`[stdout] ${line}\n`);
      return;
    }
    // `ready` and events of a request that already ended (none are expected) are not the active request's.
    if (active === undefined || event.requestId !== active.id) return;
    if (event.type === 'result' || event.type === 'error') {
      active.outcome = event;
      if (active.stderrEnded) active.channel.close();
      else active.endTimer = setTimeout(() => active.channel.close(), STDERR_END_WAIT_MS);
      return;
    }
    for (const progressEvent of bridgeProgressEvents(event, active.phase)) active.channel.push(progressEvent);
  }

  private onStderr(text: string): void {
    this.pendingStderr += text;
    let newline = this.pendingStderr.indexOf('\n');
    while (newline !== -1) {
      const line = this.pendingStderr.slice(0, newline + 1);
      this.pendingStderr = this.pendingStderr.slice(newline + 1);
      this.takeStderrLine(line);
      newline = this.pendingStderr.indexOf('\n');
    }
    if (this.pendingStderr.length > MAX_PENDING_STDERR && !REQUEST_END_MARKER.startsWith(this.pendingStderr.slice(0, REQUEST_END_MARKER.length))) {
      this.takeStderrLine(this.pendingStderr);
      this.pendingStderr = '';
    }
  }

  private takeStderrLine(line: string): void {
    const active = this.active;
    if (line.startsWith(REQUEST_END_MARKER)) {
      if (active !== undefined && line.slice(REQUEST_END_MARKER.length).trim() === active.id) {
        active.stderrEnded = true;
        if (active.outcome !== undefined) {
          clearTimeout(active.endTimer);
          active.channel.close();
        }
      }
      return;
    }
    (active !== undefined && !active.stderrEnded ? active.stderr : this.idleStderr).append(line);
  }
}
