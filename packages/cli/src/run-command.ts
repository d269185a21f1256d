import { ConversionError } from '@gpux/converter-core';
import { RegistryError } from '@gpux/model-manager';
import { withCliInvocation } from './cli-invocation';
import { exitCodeForError } from './exit-codes';

/** What a command body receives. */
export interface CommandContext {
  signal: AbortSignal;
}

/**
 * Runs a command body with Ctrl-C wired to an AbortSignal (a second Ctrl-C exits at once), prints a
 * failure as `error [CODE]: message` (or a JSON line with `--json`), and sets the exit code.
 */
export async function runCommand(
  renderer: { log(line: string): void; stop(): void } | undefined,
  json: boolean,
  body: (context: CommandContext) => Promise<number | void>,
): Promise<void> {
  const controller = new AbortController();
  let interrupts = 0;
  const onInterrupt = () => {
    interrupts += 1;
    if (interrupts > 1) process.exit(130);
    renderer?.log('Cancelling… (press Ctrl-C again to exit at once)');
    controller.abort(new ConversionError('CANCELLED', 'Cancelled by the user (Ctrl-C).'));
  };
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onInterrupt);
  try {
    const exitCode = await body({ signal: controller.signal });
    renderer?.stop();
    process.exitCode = exitCode ?? 0;
  } catch (error) {
    renderer?.stop();
    reportError(error, json);
    process.exitCode = exitCodeForError(error);
  } finally {
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onInterrupt);
  }
}

function reportError(error: unknown, json: boolean): void {
  // Only our codes reach the user: a bad argument is USAGE_ERROR, anything else unexpected INTERNAL_ERROR.
  const code =
    ConversionError.isInstance(error) || RegistryError.isInstance(error)
      ? error.code
      : error instanceof TypeError || error instanceof RangeError
        ? 'USAGE_ERROR'
        : 'INTERNAL_ERROR';
  const message = error instanceof Error ? error.message : String(error);
  if (json) {
    const details = ConversionError.isInstance(error) || RegistryError.isInstance(error) ? error.details : undefined;
    process.stdout.write(JSON.stringify({ type: 'error', code, message, details: redactDetails(details) }) + '\n');
    return;
  }
  // A fix such as `gpux-convert setup pytorch` is printed in the form that runs here (see cliInvocation).
  process.stderr.write(`error [${code}]: ${withCliInvocation(message)}\n`);
}

function redactDetails(details: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!details) return undefined;
  // Tracebacks and stderr tails can be long; JSON consumers get them in full, minus anything token-like.
  return JSON.parse(JSON.stringify(details, (key, value: unknown) => (/token|authorization|password/i.test(key) ? '[redacted]' : value))) as Record<string, unknown>;
}
