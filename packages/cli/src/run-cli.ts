import { CommanderError } from 'commander';
import { createProgram } from './create-program';
import { EXIT_CODES } from './exit-codes';

/**
 * Runs the gpux-convert command line and resolves with the process exit code (see `EXIT_CODES`:
 * 2 for a usage error that commander reports, the command's own code otherwise).
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
    // Commander throws for what it checks itself (an unknown option or command, an option value
    // its parser refused, a missing argument): usage errors, exit 2. `--help` and `--version` exit 0.
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_CODES.success : EXIT_CODES.usageError;
    throw error;
  }
}
