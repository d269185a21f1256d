import { spawn } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';

/** How a supervised child is started and watched. */
export interface SupervisedChildOptions {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** Written to the child's stdin, which is then closed (unless `keepStdinOpen`). @default "" */
  stdin?: string;
  /**
   * Keep stdin open after writing `stdin`, until the child exits or is stopped: a child that watches
   * stdin then sees EOF when this process dies, even by SIGKILL. @default false
   */
  keepStdinOpen?: boolean;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Time between SIGTERM and SIGKILL when the child is stopped. @default 3000 */
  killGraceMs?: number;
  /** Called for each complete line of stdout (without the newline). */
  onStdoutLine?: (line: string) => void;
  /** Called with each decoded chunk of stderr. */
  onStderr?: (text: string) => void;
}

/** Why a child was asked to stop by us. */
export type StopReason = 'abort' | 'timeout' | 'consumer';

/** How a supervised child ended. */
export interface SupervisedChildExit {
  exitCode: number | null;
  exitSignal: NodeJS.Signals | null;
  /** Set when we asked the child to stop (it may still have exited on its own first). */
  stopReason?: StopReason;
  /** True when we sent SIGKILL (so a SIGKILL exit was ours, not the kernel's). */
  killedByUs: boolean;
  /** Set when the process could not be started (ENOENT, EACCES...). */
  spawnError?: NodeJS.ErrnoException;
}

/** A running child. `exited` settles only after the process is gone and its output was read. */
export interface SupervisedChild {
  readonly pid: number | undefined;
  readonly exited: Promise<SupervisedChildExit>;
  /** Asks the child to stop: SIGTERM now, SIGKILL after the grace period. */
  stop(reason: StopReason): void;
  /** Writes more text to stdin (with `keepStdinOpen`); false once stdin is closed or the child is gone. */
  write(text: string): boolean;
  /** Closes stdin: a child that watches it (gpux_bridge.py) then ends on its own. */
  closeStdin(): void;
}

/** After the process exits, wait at most this long for grandchildren to release its pipes. */
const PIPE_DRAIN_TIMEOUT_MS = 2000;

/**
 * Spawns a child process that is terminated on abort or timeout (SIGTERM, then SIGKILL after a
 * grace period) and whose listeners and timers are all removed once it has exited.
 */
export function spawnSupervised(options: SupervisedChildOptions): SupervisedChild {
  const killGraceMs = options.killGraceMs ?? 3000;
  let stopReason: StopReason | undefined;
  let killedByUs = false;
  let exited = false;
  let killTimer: NodeJS.Timeout | undefined;
  let timeoutTimer: NodeJS.Timeout | undefined;
  let drainTimer: NodeJS.Timeout | undefined;

  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['pipe', 'pipe', 'pipe'],
    windowsHide: true,
  });

  const stdoutDecoder = new StringDecoder('utf8');
  let pendingLine = '';
  const takeLines = (text: string, flush: boolean): void => {
    pendingLine += text;
    let newline = pendingLine.indexOf('\n');
    while (newline !== -1) {
      const line = pendingLine.slice(0, newline).replace(/\r$/, '');
      pendingLine = pendingLine.slice(newline + 1);
      options.onStdoutLine?.(line);
      newline = pendingLine.indexOf('\n');
    }
    if (flush && pendingLine !== '') {
      const line = pendingLine;
      pendingLine = '';
      options.onStdoutLine?.(line);
    }
  };
  child.stdout.on('data', (chunk: Buffer) => takeLines(stdoutDecoder.write(chunk), false));
  const stderrDecoder = new StringDecoder('utf8');
  child.stderr.on('data', (chunk: Buffer) => options.onStderr?.(stderrDecoder.write(chunk)));
  // The child may exit before reading its stdin; EPIPE there is not an error of ours.
  child.stdin.on('error', () => undefined);

  const sendSignal = (signalName: NodeJS.Signals): void => {
    if (exited || child.pid === undefined) return;
    try {
      child.kill(signalName);
    } catch {
      // Already gone.
    }
  };

  const stop = (reason: StopReason): void => {
    if (exited || stopReason !== undefined) return;
    stopReason = reason;
    sendSignal('SIGTERM');
    killTimer = setTimeout(() => {
      if (exited) return;
      killedByUs = true;
      sendSignal('SIGKILL');
    }, killGraceMs);
  };

  const onAbort = (): void => stop('abort');

  const exitedPromise = new Promise<SupervisedChildExit>((resolve) => {
    let exitCode: number | null = null;
    let exitSignal: NodeJS.Signals | null = null;
    let settled = false;
    const settle = (spawnError?: NodeJS.ErrnoException): void => {
      if (settled) return;
      settled = true;
      exited = true;
      clearTimeout(killTimer);
      clearTimeout(timeoutTimer);
      clearTimeout(drainTimer);
      options.signal?.removeEventListener('abort', onAbort);
      takeLines(stdoutDecoder.end(), true);
      const stderrRest = stderrDecoder.end();
      if (stderrRest !== '') options.onStderr?.(stderrRest);
      const result: SupervisedChildExit = { exitCode, exitSignal, killedByUs };
      if (stopReason !== undefined) result.stopReason = stopReason;
      if (spawnError !== undefined) result.spawnError = spawnError;
      resolve(result);
    };
    child.on('error', (error: NodeJS.ErrnoException) => {
      // Spawn failures have no pid and no exit; later errors (kill failures) are harmless.
      if (child.pid === undefined) settle(error);
    });
    child.on('exit', (code, signalName) => {
      exitCode = code;
      exitSignal = signalName;
      exited = true;
      clearTimeout(killTimer);
      // Grandchildren that inherited the pipes can keep them open after the child died.
      drainTimer = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        settle();
      }, PIPE_DRAIN_TIMEOUT_MS);
    });
    child.on('close', () => settle());
  });

  if (child.pid !== undefined) {
    if (options.keepStdinOpen === true) child.stdin.write(options.stdin ?? '');
    else child.stdin.end(options.stdin ?? '');
    if (options.signal !== undefined) {
      if (options.signal.aborted) stop('abort');
      else options.signal.addEventListener('abort', onAbort, { once: true });
    }
    if (options.timeoutMs !== undefined) {
      timeoutTimer = setTimeout(() => stop('timeout'), options.timeoutMs);
    }
  }

  const write = (text: string): boolean => {
    if (exited || child.stdin.destroyed || child.stdin.writableEnded) return false;
    child.stdin.write(text);
    return true;
  };
  const closeStdin = (): void => {
    if (!child.stdin.destroyed && !child.stdin.writableEnded) child.stdin.end();
  };

  return { pid: child.pid, exited: exitedPromise, stop, write, closeStdin };
}
