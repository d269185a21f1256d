import { createProgram } from './create-program';

/**
 * Runs the gpux-convert command line and resolves with the process exit code.
 *
 * @param argv - The full argument vector (`process.argv`).
 * @example
 * ```ts
 * process.exitCode = await runCli(['node', 'gpux-convert', 'doctor']);
 * ```
 */
export async function runCli(argv: readonly string[]): Promise<number> {
  const program = createProgram();
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    const exitCode = (error as { exitCode?: unknown }).exitCode;
    if (typeof exitCode === 'number') return exitCode;
    throw error;
  }
}
