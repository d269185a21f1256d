import { Command } from 'commander';
import { cliVersion } from './cli-version';
import { registerDoctorCommand } from './commands/doctor-command';
import { registerSetupCommand } from './commands/setup-command';
import { exitCodeHelp } from './exit-codes';

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
    .showHelpAfterError()
    .addHelpText('after', '\n' + exitCodeHelp());
  registerSetupCommand(program);
  registerDoctorCommand(program);
  return program;
}
