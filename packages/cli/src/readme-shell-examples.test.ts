// The shell examples of every README (```sh, ```bash, ```shell, ```console blocks): each passes
// `bash -n`; each `gpux-convert ...` line names a command and options that the built CLI defines
// (read from its commander program, dist/index.cjs); each `npm run X` names a script of the
// package.json beside the README; and each block runs, in a scratch directory with the built bin on
// PATH as `gpux-convert`, and exits 0. A block that cannot run here says why on the line before it:
// `<!-- example: skip: REASON -->`. `<!-- example: cwd=repository-root -->` runs it from the
// repository root instead (for examples that name repository paths; they must write nothing).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { readmeBlocks, repositoryRoot, type ReadmeBlock } from './test-support/readme-blocks';
import { builtCliPath } from './test-support/run-built-cli';
import { gpuxConvertArguments, simpleCommands } from './test-support/shell-commands';
import { writeTinyOnnxModel } from './test-support/tiny-onnx-models';

const shellLanguages = ['sh', 'bash', 'shell', 'console'];

/**
 * The files the runnable examples name, and what the test writes under that name in each example's
 * working directory. An example naming a file missing here fails as it would for a user.
 */
const exampleFiles: Record<string, (file: string) => Promise<void>> = {
  // cli README "Examples": the ONNX file that `convert ./model.onnx --optimize O2 --quantize int8` reads.
  'model.onnx': (file) => writeTinyOnnxModel(file, 1),
  // cli README "Examples": `inspect minilm-onnx/onnx/model_int8.onnx` reads the output of the README's
  // first example (all-MiniLM-L6-v2 from the hub, not available here); a tiny ONNX file stands in.
  'minilm-onnx/onnx/model_int8.onnx': (file) => writeTinyOnnxModel(file, 2),
  // Top README "Converting many models": `batch models.txt`, one source a line with per-model options.
  'models.txt': async (file) => {
    await writeTinyOnnxModel(path.join(path.dirname(file), 'tiny-a.onnx'), 3);
    await writeTinyOnnxModel(path.join(path.dirname(file), 'tiny-b.onnx'), 4);
    await writeFile(file, './tiny-a.onnx --name tiny-a\n./tiny-b.onnx --quantize int8 --name tiny-b\n');
  },
};

/** The markers a block may carry. */
function markerProblem(block: ReadmeBlock): string | undefined {
  if (block.marker === undefined || block.marker === 'cwd=repository-root') return undefined;
  if (/^skip: \S.{4,}$/.test(block.marker)) return undefined;
  return `${block.readme}:${block.line}: unknown example marker "${block.marker}" (use "skip: REASON" or "cwd=repository-root")`;
}

/** What is wrong with `gpux-convert ...args` for the built program: unknown command or option, a missing value, too many or too few arguments. */
function invocationProblems(program: Command, args: readonly string[]): string[] {
  const [name, ...rest] = args;
  if (name === undefined) return ['no command'];
  if (['--help', '-h', '--version', '-V'].includes(name)) return rest.length === 0 ? [] : [`arguments after ${name}`];
  const command = program.commands.find((candidate) => candidate.name() === name || candidate.aliases().includes(name));
  if (command === undefined) return [`unknown command "${name}"`];
  const problems: string[] = [];
  const positionals: string[] = [];
  for (let index = 0; index < rest.length; index += 1) {
    const token = rest[index] as string;
    if (token === '--help' || token === '-h') continue;
    if (token === '--') {
      positionals.push(...rest.slice(index + 1));
      break;
    }
    if (token.startsWith('-') && token !== '-') {
      const [flag, inlineValue] = token.startsWith('--') ? [token.split('=')[0] as string, token.includes('=') ? token.slice(token.indexOf('=') + 1) : undefined] : [token, undefined];
      const option = command.options.find((candidate) => candidate.long === flag || candidate.short === flag);
      if (option === undefined) {
        problems.push(`${name}: unknown option "${flag}"`);
        continue;
      }
      if (option.required && inlineValue === undefined) {
        if (index + 1 >= rest.length) problems.push(`${name}: option "${flag}" needs a value`);
        index += 1;
      } else if (!option.required && !option.optional && inlineValue !== undefined) {
        problems.push(`${name}: option "${flag}" takes no value`);
      }
      continue;
    }
    positionals.push(token);
  }
  const declared = command.registeredArguments;
  const requiredCount = declared.filter((argument) => argument.required).length;
  if (positionals.length < requiredCount) problems.push(`${name}: needs ${requiredCount} argument(s), got ${positionals.length}`);
  if (!declared.some((argument) => argument.variadic) && positionals.length > declared.length) problems.push(`${name}: takes ${declared.length} argument(s), got ${positionals.length} (${positionals.join(' ')})`);
  return problems;
}

/** The package.json that `npm run` in a README's examples refers to: the nearest one at or above the README's folder. */
async function nearestScripts(readme: string): Promise<{ file: string; scripts: Record<string, string> }> {
  for (let directory = path.dirname(path.join(repositoryRoot, readme)); ; directory = path.dirname(directory)) {
    const file = path.join(directory, 'package.json');
    if (existsSync(file)) return { file: path.relative(repositoryRoot, file), scripts: (JSON.parse(await readFile(file, 'utf8')) as { scripts?: Record<string, string> }).scripts ?? {} };
    if (directory === repositoryRoot) throw new Error(`No package.json at or above ${readme}`);
  }
}

function runBash(script: string, options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<{ exitCode: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-e', '-o', 'pipefail', '-c', script], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.on('error', reject);
    child.on('close', (exitCode) => resolve({ exitCode, output }));
  });
}

describe('README shell examples', () => {
  let blocks: ReadmeBlock[];
  let program: Command;
  let scratch: string;

  beforeAll(async () => {
    blocks = await readmeBlocks(shellLanguages);
    // The built CLI's own program (what `gpux-convert` parses), not a list written here.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    program = (require(path.join(path.dirname(builtCliPath), 'index.cjs')) as { createProgram: () => Command }).createProgram();
    scratch = await mkdtemp(path.join(os.tmpdir(), 'gpux-readme-shell-'));
  });

  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('finds the shell blocks, and each marker is a known one with a reason', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(15);
    expect(blocks.map(markerProblem).filter((problem) => problem !== undefined)).toEqual([]);
  });

  it('every block passes bash -n', () => {
    const problems = blocks.flatMap((block) => {
      const script = block.language === 'console' ? simpleCommandsText(block) : block.code;
      const result = spawnSync('bash', ['-n'], { input: script, encoding: 'utf8' });
      return result.status === 0 ? [] : [`${block.readme}:${block.line}: ${result.stderr.trim()}`];
    });
    expect(problems).toEqual([]);
  });

  it('the option check refuses what the CLI refuses', () => {
    expect(invocationProblems(program, ['convert', 'x.onnx', '--quantize', 'int8', '-o', 'out', '--no-latency'])).toEqual([]);
    expect(invocationProblems(program, ['convert', 'x.onnx', '--quantise=int8'])).toEqual(['convert: unknown option "--quantise"']);
    expect(invocationProblems(program, ['inspect', 'x.onnx', 'y.onnx'])).toEqual(['inspect: takes 1 argument(s), got 2 (x.onnx y.onnx)']);
    expect(invocationProblems(program, ['convert', 'x.onnx', '--optimize'])).toEqual(['convert: option "--optimize" needs a value']);
    expect(invocationProblems(program, ['inspect'])).toEqual(['inspect: needs 1 argument(s), got 0']);
    expect(invocationProblems(program, ['transmogrify', 'x'])).toEqual(['unknown command "transmogrify"']);
    expect(invocationProblems(program, ['ls', '--json'])).toEqual([]);
  });

  it('every gpux-convert line uses a command and options the built CLI has; every npm run names an existing script', async () => {
    const problems: string[] = [];
    let invocations = 0;
    let scripts = 0;
    for (const block of blocks) {
      for (const words of simpleCommands(block.code, block.language)) {
        const args = gpuxConvertArguments(words);
        if (args !== undefined) {
          invocations += 1;
          for (const problem of invocationProblems(program, args)) problems.push(`${block.readme}:${block.line}: gpux-convert ${args.join(' ')}: ${problem}`);
        }
        if (words[0] === 'npm' && (words[1] === 'run' || words[1] === 'run-script')) {
          scripts += 1;
          const script = words[2] ?? '';
          const { file, scripts: defined } = await nearestScripts(block.readme);
          if (script.startsWith('-') || !(script in defined)) problems.push(`${block.readme}:${block.line}: npm run ${script}: no such script in ${file}`);
        }
      }
    }
    expect(problems).toEqual([]);
    expect(invocations).toBeGreaterThanOrEqual(20);
    expect(scripts).toBeGreaterThanOrEqual(2);
  });

  it('every block without a skip marker runs with the built bin as gpux-convert and exits 0', async () => {
    const bin = path.join(scratch, 'bin');
    await mkdir(bin, { recursive: true });
    await writeFile(path.join(bin, 'gpux-convert'), `#!/bin/sh\nexec '${process.execPath}' '${builtCliPath}' "$@"\n`);
    await chmod(path.join(bin, 'gpux-convert'), 0o755);
    // Conversions go to a scratch cache; the managed Python environments are the user's (read only by doctor here).
    const gpuxCache = path.join(scratch, 'gpux-cache');
    await mkdir(gpuxCache, { recursive: true });
    const environments = path.join(process.env.GPUX_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'gpux'), 'python');
    if (existsSync(environments)) await symlink(environments, path.join(gpuxCache, 'python'));
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}`, GPUX_CACHE_DIR: gpuxCache, HF_HUB_CACHE: path.join(scratch, 'hub'), HF_HUB_OFFLINE: '1', HF_TOKEN: '' };
    const runnable = blocks.filter((block) => !(block.marker ?? '').startsWith('skip:'));
    expect(runnable.length).toBeGreaterThanOrEqual(3);
    const failures: string[] = [];
    for (const [index, block] of runnable.entries()) {
      let cwd = repositoryRoot;
      if (block.marker !== 'cwd=repository-root') {
        cwd = path.join(scratch, `example-${index}`);
        for (const [name, write] of Object.entries(exampleFiles)) {
          await mkdir(path.dirname(path.join(cwd, name)), { recursive: true });
          await write(path.join(cwd, name));
        }
      }
      const script = block.language === 'console' ? simpleCommandsText(block) : block.code;
      const run = await runBash(script, { cwd, env });
      if (run.exitCode !== 0) failures.push(`${block.readme}:${block.line}: exit ${String(run.exitCode)}\n${run.output.slice(-2000)}`);
    }
    expect(failures).toEqual([]);
  }, 240_000);
});

/** A console block as the script its `$ ` lines make. */
function simpleCommandsText(block: ReadmeBlock): string {
  return block.code
    .split('\n')
    .filter((line) => line.startsWith('$ '))
    .map((line) => line.slice(2))
    .join('\n');
}
