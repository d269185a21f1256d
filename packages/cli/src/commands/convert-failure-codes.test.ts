// Every failure the CLI prints carries one of the documented codes (converter-core's and
// model-manager's error codes, USAGE_ERROR, INTERNAL_ERROR): a raw `Error` or `TypeError` is a bug.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { makeGraph, makeModel, makeNode, makeValueInfo, saveOnnxModel } from '@gpux/onnx';
import { runBuiltCli, type CliRun } from '../test-support/run-built-cli';

/** The codes the README documents: the ConversionErrorCode and RegistryErrorCode unions, USAGE_ERROR and INTERNAL_ERROR. */
async function documentedCodes(): Promise<Set<string>> {
  const packages = path.resolve(__dirname, '..', '..', '..');
  const sources = await Promise.all(['converter-core/src/conversion-error.ts', 'model-manager/src/registry-error.ts'].map((file) => readFile(path.join(packages, file), 'utf8')));
  const unions = sources.map((source) => /Code =([^;]+);/.exec(source)?.[1] ?? '');
  return new Set([...unions.flatMap((union) => [...union.matchAll(/'([A-Z_]+)'/g)].map((match) => match[1] as string)), 'USAGE_ERROR', 'INTERNAL_ERROR']);
}

/** The codes a run printed: `{"type":"error","code":...}` lines on stdout and `error [CODE]:` lines on stderr. */
function printedCodes(run: CliRun): string[] {
  const codes: string[] = [];
  for (const line of run.stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const event = JSON.parse(line) as { type?: string; code?: unknown };
    if (event.type === 'error') codes.push(String(event.code));
  }
  for (const match of run.stderr.matchAll(/error \[([^\]]+)\]/g)) codes.push(match[1] as string);
  return codes;
}

describe('gpux-convert failure paths', () => {
  let scratch: string;
  beforeAll(async () => {
    scratch = await mkdtemp(path.join(os.tmpdir(), 'gpux-cli-failures-'));
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('prints only documented codes, with and without --json', async () => {
    const codes = await documentedCodes();
    expect(codes.has('VALIDATION_FAILED')).toBe(true);
    expect(codes.has('NETWORK_ERROR')).toBe(true);
    const cache = path.join(scratch, 'cache');
    const corrupt = path.join(scratch, 'corrupt.onnx');
    await writeFile(corrupt, Buffer.from('not an onnx model'));
    const model = path.join(scratch, 'identity', 'model.onnx');
    await mkdir(path.dirname(model), { recursive: true });
    await saveOnnxModel(makeModel(makeGraph([makeNode('Identity', ['x'], ['y'])], 'g', [makeValueInfo('x', 'float32', ['batch_size', 4])], [makeValueInfo('y', 'float32', ['batch_size', 4])])), model);
    const empty = path.join(scratch, 'empty-directory');
    await mkdir(empty, { recursive: true });
    await writeFile(path.join(empty, 'notes.txt'), 'no model here');
    // `expected` undefined: commander's own usage message (`error: option ... is invalid`, exit 2), which names no code.
    const cases: Array<{ args: string[]; expected: string | undefined }> = [
      { args: ['inspect', corrupt, '--json'], expected: 'INVALID_MODEL_FILE' },
      { args: ['convert', corrupt, '-o', path.join(scratch, 'out-corrupt'), '--cache-dir', cache, '--no-latency'], expected: 'INVALID_MODEL_FILE' },
      { args: ['convert', path.join(scratch, 'does-not-exist'), '--cache-dir', cache, '--json'], expected: 'SOURCE_NOT_FOUND' },
      { args: ['convert', empty, '-o', path.join(scratch, 'out-empty'), '--cache-dir', cache], expected: 'UNSUPPORTED_FORMAT' },
      { args: ['convert', model, '-o', path.join(scratch, 'out-static'), '--cache-dir', cache, '--static-shapes', 'seq=3', '--no-latency', '--json'], expected: 'USAGE_ERROR' },
      { args: ['quantize', model, '--mode', 'int3'], expected: undefined },
      { args: ['validate', corrupt, '--json'], expected: 'INVALID_MODEL_FILE' },
      { args: ['pull', 'org/model', '--hub-url', 'http://127.0.0.1:9', '--json'], expected: 'NETWORK_ERROR' },
    ];
    for (const { args, expected } of cases) {
      const run = await runBuiltCli(args, { env: { HF_HUB_CACHE: path.join(scratch, 'hub') } });
      const printed = printedCodes(run);
      expect({ args: args.join(' '), printed: printed.filter((code) => !codes.has(code)) }).toEqual({ args: args.join(' '), printed: [] });
      expect({ args: args.join(' '), first: printed[0] }).toEqual({ args: args.join(' '), first: expected });
      expect(run.exitCode).not.toBe(0);
    }
  }, 300_000);
});
