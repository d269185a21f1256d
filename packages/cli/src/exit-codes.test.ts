import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConversionError, createTensor, makeGraph, makeModel, makeNode, makeValueInfo, saveOnnxModel } from '@gpux/converter-core';
import { RegistryError } from '@gpux/model-manager';
import { InvalidArgumentError } from 'commander';
import { EXIT_CODES, exitCodeForError, exitCodeHelp } from './exit-codes';
import { runBuiltCli } from './test-support/run-built-cli';

/** The codes `gpux-convert --help` documents, read from the help text itself. */
function documentedCodes(): number[] {
  return exitCodeHelp()
    .split('\n')
    .slice(1)
    .map((line) => Number(/^\s+(\d+)\s/.exec(line)?.[1]));
}

async function writeMatMul(file: string, scale: number): Promise<void> {
  const weights = Float32Array.from({ length: 8 * 4 }, (_, index) => Math.sin(index) * scale);
  const graph = makeGraph([makeNode('MatMul', ['x', 'w'], ['y'])], 'tiny', [makeValueInfo('x', 'float32', ['batch', 8])], [makeValueInfo('y', 'float32', ['batch', 4])], {
    initializer: [createTensor('w', 'float32', [8, 4], weights)],
  });
  await saveOnnxModel(makeModel(graph, { opsetImports: [{ domain: '', version: 17 }] }), file);
}

describe('exit codes', () => {
  it('documents every code of EXIT_CODES, once, in order, in --help and in the README', async () => {
    const codes = [...new Set(Object.values(EXIT_CODES))].sort((a, b) => a - b);
    expect(documentedCodes()).toEqual(codes);
    const readme = await readFile(path.join(__dirname, '..', 'README.md'), 'utf8');
    const table = readme.slice(readme.indexOf('## Exit codes'), readme.indexOf('\n## ', readme.indexOf('## Exit codes') + 1));
    expect([...table.matchAll(/^\| (\d+) \|/gm)].map((match) => Number(match[1]))).toEqual(codes);
  });

  it.each([
    [EXIT_CODES.internalError, new Error('a bug')],
    [EXIT_CODES.internalError, new ConversionError('INTERNAL_ERROR', 'a bug')],
    [EXIT_CODES.usageError, new TypeError('Parameter "x" must be a string')],
    [EXIT_CODES.usageError, new RangeError('Parameter "runs" must be positive')],
    [EXIT_CODES.invalidInput, new ConversionError('SOURCE_NOT_FOUND', 'no such path')],
    [EXIT_CODES.invalidInput, new ConversionError('INVALID_MODEL_FILE', 'corrupt')],
    [EXIT_CODES.invalidInput, new ConversionError('OUTPUT_EXISTS', 'not empty')],
    [EXIT_CODES.invalidInput, new ConversionError('TRUST_REMOTE_CODE_REQUIRED', 'remote code')],
    [EXIT_CODES.unsupported, new ConversionError('UNSUPPORTED_FORMAT', 'what is it')],
    [EXIT_CODES.unsupported, new ConversionError('UNSUPPORTED_ARCHITECTURE', 'unknown model_type')],
    [EXIT_CODES.pythonEnvironment, new ConversionError('PYTHON_NOT_FOUND', 'no python')],
    [EXIT_CODES.pythonEnvironment, new ConversionError('RUNTIME_MISSING', 'no onnxruntime-node')],
    [EXIT_CODES.exportFailed, new ConversionError('EXPORT_FAILED', 'torch.onnx.export raised')],
    [EXIT_CODES.validationFailed, new ConversionError('VALIDATION_FAILED', 'max abs diff 0.3')],
    [EXIT_CODES.registryError, new RegistryError('MODEL_NOT_FOUND', 'no such repo')],
    [EXIT_CODES.authentication, new RegistryError('AUTHENTICATION_FAILED', '401')],
    [EXIT_CODES.network, new RegistryError('NETWORK_ERROR', 'ECONNREFUSED')],
    [EXIT_CODES.resources, new ConversionError('OUT_OF_MEMORY', 'killed')],
    [EXIT_CODES.resources, new ConversionError('TIMEOUT', 'too slow')],
    [EXIT_CODES.cancelled, new ConversionError('CANCELLED', 'Ctrl-C')],
    [EXIT_CODES.cancelled, new RegistryError('CANCELLED', 'Ctrl-C')],
  ])('maps to %i: %p', (code, error) => {
    expect(exitCodeForError(error)).toBe(code);
  });

  it('leaves commander usage errors to runCli (they are not command errors)', () => {
    expect(exitCodeForError(new InvalidArgumentError('bad'))).toBe(EXIT_CODES.internalError);
  });
});

// The built CLI, for the codes a run without Python reaches. 8 and 9 are covered by pull-command.test.ts
// (loopback hub), 130 by convert-command.test.ts (SIGINT during the export).
describe('exit codes of the built gpux-convert', () => {
  let scratch: string;
  let model: string;
  let other: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    scratch = await mkdtemp(path.join(os.tmpdir(), 'gpux-cli-exit-'));
    model = path.join(scratch, 'model.onnx');
    other = path.join(scratch, 'other.onnx');
    await writeMatMul(model, 0.1);
    await writeMatMul(other, 0.2);
    env = { GPUX_CACHE_DIR: path.join(scratch, 'gpux-cache'), HF_HUB_CACHE: path.join(scratch, 'hub-cache'), HF_TOKEN: '' };
  });

  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('0: a conversion that works, and --version', async () => {
    const run = await runBuiltCli(['convert', model, '-o', path.join(scratch, 'out-0'), '--no-latency', '--cache-dir', path.join(scratch, 'cache')], { env });
    expect(run.stderr).not.toMatch(/^error/m);
    expect(run.exitCode).toBe(0);
    expect((await runBuiltCli(['--version'], { env })).exitCode).toBe(0);
  });

  it.each([
    [['convert', 'model.onnx', '--optimize', 'O9'], /argument 'O9' is invalid/],
    [['convert', 'model.onnx', '--quantize', 'int3'], /argument 'int3' is invalid/],
    [['convert', 'model.onnx', '--no-such-option'], /unknown option '--no-such-option'/],
    [['convert'], /missing required argument 'source'/],
    [['no-such-command'], /unknown command 'no-such-command'/],
  ])('2: usage error for %j', async (args, message) => {
    const run = await runBuiltCli(args, { env, cwd: scratch });
    expect(run.stderr).toMatch(message);
    expect(run.exitCode).toBe(2);
  });

  it('3: a source path that does not exist', async () => {
    const run = await runBuiltCli(['convert', path.join(scratch, 'missing', 'model.onnx'), '--no-latency'], { env });
    expect(run.stderr).toMatch(/^error \[SOURCE_NOT_FOUND\]: The model path .*missing.* does not exist/m);
    expect(run.exitCode).toBe(3);
  });

  it('3: an output directory with other files in it, without --overwrite', async () => {
    const output = path.join(scratch, 'occupied');
    await mkdir(output, { recursive: true });
    await writeFile(path.join(output, 'notes.txt'), 'mine');
    const run = await runBuiltCli(['convert', model, '-o', output, '--no-latency', '--cache-dir', path.join(scratch, 'cache-3')], { env });
    expect(run.stderr).toMatch(/^error \[OUTPUT_EXISTS\]/m);
    expect(run.exitCode).toBe(3);
  });

  it('4: a file that is no model format', async () => {
    const notes = path.join(scratch, 'notes.txt');
    await writeFile(notes, 'not a model');
    const run = await runBuiltCli(['convert', notes, '--no-latency'], { env });
    expect(run.stderr).toMatch(/^error \[UNSUPPORTED_FORMAT\]/m);
    expect(run.exitCode).toBe(4);
  });

  it('5: a base interpreter that does not exist', async () => {
    const run = await runBuiltCli(['setup', 'pytorch', '--python', path.join(scratch, 'no-python'), '--cache-dir', path.join(scratch, 'gpux-cache')], { env });
    expect(run.stderr).toMatch(/^error \[PYTHON_NOT_FOUND\]/m);
    expect(run.exitCode).toBe(5);
  });

  it('7: outputs that differ beyond the tolerances', async () => {
    const run = await runBuiltCli(['validate', other, '--against', model, '--atol', '0', '--rtol', '0'], { env });
    expect(run.stdout).toMatch(/^FAILED: .*other\.onnx against .*model\.onnx \(atol 0, rtol 0\)/m);
    expect(run.exitCode).toBe(7);
  });

  it('10: a hub that cannot be reached', async () => {
    const run = await runBuiltCli(['pull', 'org/tiny', '--hub-url', 'http://127.0.0.1:9'], { env });
    expect(run.stderr).toMatch(/^error \[NETWORK_ERROR\]/m);
    expect(run.exitCode).toBe(10);
  });
});
