import { EventChannel } from './event-channel';
import { OutputTail } from './output-tail';
import type { SupervisedChildExit } from './spawn-supervised';
import { spawnSupervised } from './spawn-supervised';

/** A command to run with its output streamed line by line. */
export interface RunCommandOptions {
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  stdin?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** How the command ended, with the tails of its output. */
export interface RunCommandOutcome {
  exit: SupervisedChildExit;
  /** The last ~8 KiB of stderr. */
  stderrTail: string;
  /** The last ~8 KiB of stdout. */
  stdoutTail: string;
}

/**
 * Runs a command, yielding each stdout line as it arrives; returns once the process has exited.
 * Stopping the iteration early stops the process (SIGTERM, then SIGKILL) before returning.
 */
export async function* runCommandIter(options: RunCommandOptions): AsyncGenerator<string, RunCommandOutcome, void> {
  const channel = new EventChannel<string>();
  const stdout = new OutputTail(8192);
  const stderr = new OutputTail(8192);
  const child = spawnSupervised({
    command: options.command,
    args: options.args,
    env: options.env ?? process.env,
    cwd: options.cwd,
    stdin: options.stdin,
    signal: options.signal,
    timeoutMs: options.timeoutMs,
    onStdoutLine: (line) => {
      stdout.append(`${line}\n`);
      channel.push(line);
    },
    onStderr: (text) => stderr.append(text),
  });
  let finished = false;
  child.exited.then(
    () => channel.close(),
    () => channel.close(),
  );
  try {
    for await (const line of channel) yield line;
    const exit = await child.exited;
    finished = true;
    return { exit, stderrTail: stderr.toString(), stdoutTail: stdout.toString() };
  } finally {
    if (!finished) {
      child.stop('consumer');
      await child.exited;
    }
  }
}

/** Runs a command to completion and collects its output. */
export async function runCommand(options: RunCommandOptions): Promise<RunCommandOutcome & { stdout: string }> {
  const lines: string[] = [];
  const iterator = runCommandIter(options);
  for (;;) {
    const step = await iterator.next();
    if (step.done) return { ...step.value, stdout: lines.join('\n') };
    lines.push(step.value);
  }
}
