import { execFile } from 'node:child_process';

/** What a command printed to its terminal and how it ended. */
export interface PtyRun {
  exitCode: number | null;
  /** Every byte the command wrote to the pty (stdout and stderr, with the terminal's escapes). */
  output: string;
}

function shellQuote(argument: string): string {
  return /^[\w@%+=:,./-]+$/.test(argument) ? argument : `'${argument.replace(/'/g, `'\\''`)}'`;
}

/**
 * Runs a command under a real pseudo-terminal of `columns` x `rows` with util-linux `script`, so
 * `process.stderr.isTTY` is true and the command draws what it would draw for a user.
 */
export function runInPty(command: readonly string[], options: { columns: number; rows: number; env?: NodeJS.ProcessEnv; cwd?: string }): Promise<PtyRun> {
  const line = `stty cols ${options.columns} rows ${options.rows}; exec ${command.map(shellQuote).join(' ')}`;
  return new Promise((resolve, reject) => {
    execFile(
      'script',
      ['--quiet', '--flush', '--return', '--command', line, '/dev/null'],
      { cwd: options.cwd, env: { ...process.env, ...options.env }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
      (error, stdout) => {
        if (error === null) resolve({ exitCode: 0, output: stdout });
        else if (typeof error.code === 'number') resolve({ exitCode: error.code, output: stdout });
        else reject(new Error(`util-linux \`script\` could not run the command: ${error.message}`, { cause: error }));
      },
    );
  });
}
