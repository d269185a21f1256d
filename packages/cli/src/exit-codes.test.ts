import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConversionError, ensurePythonEnvironment } from '@gpux/converter-core';
import { createTensor, makeGraph, makeModel, makeNode, makeValueInfo, saveOnnxModel } from '@gpux/onnx';
import { RegistryError } from '@gpux/model-manager';
import { findTestPython } from '@gpux/test-helpers';
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

/**
 * y = x * [1e5, 1, 1, 1]. 1e5 is beyond float16's largest finite value (65504): the fp16 converter
 * clamps the weight to 65504 (it cannot be represented), so the fp16 variant's first channel is 34.5%
 * too small and fails the default fp16 tolerances (atol/rtol 2e-2), while int8 (which leaves Mul in
 * fp32) matches exactly. An intermediate overflow (x * 1000 * 1000 * 0.001 * 0.001) was tried first:
 * its fp16 variant passed (max abs diff 1.1e-3) on onnxruntime-node's CPU provider, so it is no failure.
 */
async function writeBeyondFloat16(file: string): Promise<void> {
  const graph = makeGraph([makeNode('Mul', ['x', 'scale'], ['y'])], 'beyond-float16', [makeValueInfo('x', 'float32', ['batch', 4])], [makeValueInfo('y', 'float32', ['batch', 4])], {
    initializer: [createTensor('scale', 'float32', [4], Float32Array.of(100_000, 1, 1, 1))],
  });
  await saveOnnxModel(makeModel(graph, { opsetImports: [{ domain: '', version: 17 }] }), file);
}

/** A Transformers BERT directory: this config.json and a safetensors file with no tensors (the weights start random). */
async function writeBertDirectory(directory: string, config: Record<string, unknown>): Promise<void> {
  await mkdir(directory, { recursive: true });
  await writeFile(path.join(directory, 'config.json'), JSON.stringify({ model_type: 'bert', architectures: ['BertModel'], num_hidden_layers: 1, ...config }));
  const header = Buffer.from(JSON.stringify({ __metadata__: { format: 'pt' } }));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(header.length));
  await writeFile(path.join(directory, 'model.safetensors'), Buffer.concat([length, header]));
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

// The built CLI, one real run per code. Covered elsewhere: 8 and 9 by pull-command.test.ts (loopback
// hub), 13 by batch-command.test.ts (a batch with a corrupt model; also batch-queue.test.ts with
// --follow), 130 by convert-command.test.ts (SIGINT during the export). 1 (internal error) has no
// run here: it is what an error without a documented code becomes, i.e. a bug, so no correct input
// reaches it (convert-failure-codes.test.ts asserts that each failure path it runs prints its own
// code); the mapping test above covers it (a plain Error and an INTERNAL_ERROR ConversionError exit 1).
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

  it('6: an export that fails in Python (a BERT config whose hidden size is no multiple of its heads)', async () => {
    const pythonExecutable = await findTestPython('pytorch', { ensurePythonEnvironment });
    const source = path.join(scratch, 'uneven-heads-bert');
    await writeBertDirectory(source, { hidden_size: 10, num_attention_heads: 3, intermediate_size: 8, vocab_size: 50 });
    const output = path.join(scratch, 'out-6');
    const run = await runBuiltCli(['convert', source, '-o', output, '--python', pythonExecutable, '--no-latency', '--cache-dir', path.join(scratch, 'cache-6')], { env });
    expect(run.stderr).toMatch(/^error \[EXPORT_FAILED\]: ValueError: The hidden size \(10\) is not a multiple of the number of attention heads \(3\)/m);
    expect(run.exitCode).toBe(6);
    await expect(stat(output)).rejects.toThrow();
  }, 180_000);

  // The CLI has no time limit option (timeoutMs is an API option of the adapters), so 11 is reached
  // through OUT_OF_MEMORY: an embedding table of 2e9 x 64 float32 (512 GB), which torch's CPU
  // allocator refuses (errno 12) on a machine with less memory than that and heuristic overcommit.
  it('11: a model larger than memory (torch cannot allocate its embedding table)', async () => {
    const pythonExecutable = await findTestPython('pytorch', { ensurePythonEnvironment });
    const source = path.join(scratch, 'huge-vocabulary-bert');
    await writeBertDirectory(source, { hidden_size: 64, num_attention_heads: 4, intermediate_size: 64, vocab_size: 2_000_000_000 });
    const output = path.join(scratch, 'out-11');
    const run = await runBuiltCli(['convert', source, '-o', output, '--python', pythonExecutable, '--no-latency', '--cache-dir', path.join(scratch, 'cache-11')], { env });
    expect(run.stderr).toMatch(/^error \[OUT_OF_MEMORY\]: The model needs more memory than the system could give \(.*can't allocate memory: you tried to allocate 512000000000 bytes/m);
    expect(run.exitCode).toBe(11);
    await expect(stat(output)).rejects.toThrow();
  }, 180_000);

  it('12: the fp16 variant fails validation; the export and the int8 variant are written', async () => {
    const source = path.join(scratch, 'beyond-float16.onnx');
    await writeBeyondFloat16(source);
    const output = path.join(scratch, 'out-12');
    const run = await runBuiltCli(['convert', source, '-o', output, '--quantize', 'fp16,int8', '--no-latency', '--cache-dir', path.join(scratch, 'cache-12')], { env });
    expect(run.stderr).toMatch(/^error \[VALIDATION_FAILED\]: variant fp16 \(onnx\/model_fp16\.onnx\) was left out/m);
    expect(run.exitCode).toBe(12);
    const report = JSON.parse(await readFile(path.join(output, 'conversion-report.json'), 'utf8')) as {
      validation: Array<{ path: string; variant: string; status: string; code?: string; report?: { cases: Array<{ outputs: Array<{ maxRelDiff: number }> }> } }>;
    };
    const failed = report.validation.filter((entry) => entry.status === 'failed');
    expect(failed.map((entry) => [entry.variant, entry.path, entry.code])).toEqual([['fp16', 'onnx/model_fp16.onnx', 'VALIDATION_FAILED']]);
    // The clamped weight: 65504 instead of 1e5, 34.5% off.
    expect(failed[0]?.report?.cases[0]?.outputs[0]?.maxRelDiff).toBeCloseTo(1 - 65504 / 100_000, 3);
    expect(report.validation.find((entry) => entry.variant === 'quantize-int8')?.status).toBe('passed');
    expect((await readdir(path.join(output, 'onnx'))).sort()).toEqual(['model.onnx', 'model_int8.onnx']);
  });

  it('10: a hub that cannot be reached', async () => {
    const run = await runBuiltCli(['pull', 'org/tiny', '--hub-url', 'http://127.0.0.1:9'], { env });
    expect(run.stderr).toMatch(/^error \[NETWORK_ERROR\]/m);
    expect(run.exitCode).toBe(10);
  });
});
