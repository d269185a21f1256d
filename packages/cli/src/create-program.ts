import { Command } from 'commander';
import { cliVersion } from './cli-version';
import { registerBatchCommand } from './commands/batch-command';
import { registerCacheCommands } from './commands/cache-commands';
import { registerConvertCommand } from './commands/convert-command';
import { registerDoctorCommand } from './commands/doctor-command';
import { registerInspectCommand } from './commands/inspect-command';
import { registerPullCommand } from './commands/pull-command';
import { registerTransformCommands } from './commands/transform-commands';
import { registerValidateCommand } from './commands/validate-command';
import { registerSetupCommand } from './commands/setup-command';
import { registerWorkerCommand } from './commands/worker-command';
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
  registerConvertCommand(program);
  registerBatchCommand(program);
  registerWorkerCommand(program);
  registerPullCommand(program);
  registerInspectCommand(program);
  registerValidateCommand(program);
  registerTransformCommands(program);
  registerCacheCommands(program);
  registerSetupCommand(program);
  registerDoctorCommand(program);
  return program;
}
