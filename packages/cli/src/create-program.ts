import { Command } from 'commander';
import { cliVersion } from './cli-version';

/**
 * Builds the `gpux-convert` commander program with every sub-command registered.
 *
 * @example
 * ```ts
 * await createProgram().parseAsync(['node', 'gpux-convert', '--help']);
 * ```
 */
export function createProgram(): Command {
  const program = new Command('gpux-convert');
  program
    .description('Convert PyTorch and TensorFlow models to validated, optimized, quantized ONNX.')
    .version(cliVersion, '-V, --version')
    .exitOverride()
    .showHelpAfterError();
  return program;
}
