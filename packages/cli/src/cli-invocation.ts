import { realpathSync } from 'node:fs';
import path from 'node:path';

/** Where {@link cliInvocation} looks; each defaults to this process's own value. */
export interface CliInvocationOptions {
  /** The script node runs (`process.argv[1]`). */
  script?: string;
  /** The `PATH` variable. */
  pathVariable?: string;
  /** The working directory the command will be typed in. */
  cwd?: string;
}

function realpathOrUndefined(file: string): string | undefined {
  try {
    return realpathSync(file);
  } catch {
    return undefined;
  }
}

/**
 * The command that runs this gpux-convert from where the user is, for the fixes the CLI prints:
 * `gpux-convert` when that name on `PATH` is this very program (a global install);
 * `npx --no-install gpux-convert` when it is found in a project's `node_modules/.bin` (run through
 * npx or an npm script); otherwise `node <script>` with the script's path relative to the working
 * directory when it is below it (from the root of a clone: `node packages/cli/dist/bin.cjs`), or
 * absolute.
 *
 * @example
 * ```ts
 * console.log(`fix: ${cliInvocation()} setup pytorch`);
 * ```
 */
export function cliInvocation(options: CliInvocationOptions = {}): string {
  const script = options.script ?? process.argv[1];
  if (script === undefined || script === '') return 'gpux-convert';
  const resolved = realpathOrUndefined(script) ?? path.resolve(script);
  for (const directory of (options.pathVariable ?? process.env['PATH'] ?? '').split(path.delimiter)) {
    if (directory === '') continue;
    if (realpathOrUndefined(path.join(directory, 'gpux-convert')) !== resolved) continue;
    // A project's bin folder is on PATH only inside npx / npm scripts; a shell finds it through npx.
    const projectBin = path.basename(directory) === '.bin' && path.basename(path.dirname(directory)) === 'node_modules';
    return projectBin ? 'npx --no-install gpux-convert' : 'gpux-convert';
  }
  const cwd = options.cwd ?? process.cwd();
  const relative = path.relative(cwd, resolved);
  const shown = relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : resolved;
  return `node ${/^[\w@%+=:,./-]+$/.test(shown) ? shown : JSON.stringify(shown)}`;
}

/** Rewrites the `gpux-convert ...` commands in a message to {@link cliInvocation}'s form. */
export function withCliInvocation(text: string, invocation: string = cliInvocation()): string {
  return invocation === 'gpux-convert' ? text : text.replace(/(^|[`\s(])gpux-convert (?=[a-z])/g, `$1${invocation} `);
}
