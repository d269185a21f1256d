import { spawn } from 'node:child_process';
import path from 'node:path';

/** The built CLI entry (the `test` target depends on `build`). */
export const builtCliPath = path.resolve(__dirname, '..', '..', 'dist', 'bin.cjs');

/** What a CLI run printed and how it ended. */
export interface CliRun {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `gpux-convert` with arguments in a child process and collects its output. */
/** With `stdin`, that text is the child's standard input; else it has none. */
export function runBuiltCli(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; stdin?: string; onSpawn?: (pid: number) => void; onStdout?: (chunk: string) => void } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [builtCliPath, ...args], { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    // No `stdin`: the pipe closes at once, as /dev/null would read.
    child.stdin.end(options.stdin ?? '');
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      options.onStdout?.(chunk);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    if (child.pid !== undefined) options.onSpawn?.(child.pid);
    child.on('close', (exitCode, signal) => resolve({ exitCode, signal, stdout, stderr }));
  });
}
