import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ensurePythonEnvironment, type ConversionReport } from '@gpux/converter-core';
import { findTestPython } from '@gpux/test-helpers';
import * as ort from 'onnxruntime-node';
import { runBuiltCli } from '../test-support/run-built-cli';

const execFileAsync = promisify(execFile);

interface DecoderReference {
  prompt: number[];
  generated: number[];
  /** Top-1 minus top-2 logit at each of the 5 greedy steps, of the random-weight model and after training. */
  margins: { untrained: number[]; trained: number[] };
}

/**
 * Builds a tiny decoder with src/test-fixtures/make_tiny_decoders.py, trained for a few seconds so that
 * its greedy choices are confident as a real LLM's are; returns PyTorch's greedy tokens and margins.
 */
async function makeTinyDecoder(kind: 'qwen2' | 'gpt-neox', directory: string): Promise<DecoderReference> {
  const pythonExecutable = await findTestPython('pytorch', { ensurePythonEnvironment });
  await execFileAsync(pythonExecutable, [path.join(__dirname, '..', 'test-fixtures', 'make_tiny_decoders.py'), kind, directory], { maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(await readFile(path.join(directory, 'reference.json'), 'utf8')) as DecoderReference;
}

/** Greedy decoding with the KV cache, as a client of the exported model does it. */
async function greedyTokens(modelPath: string, prompt: number[], count: number): Promise<number[]> {
  const session = await ort.InferenceSession.create(modelPath);
  try {
    const pastNames = session.inputNames.filter((name) => name.startsWith('past_key_values.'));
    const pastMetadata = session.inputMetadata.find((input) => input.name === pastNames[0]);
    const shape = pastMetadata?.isTensor === true ? pastMetadata.shape : [];
    const [heads, headSize] = [Number(shape[1]), Number(shape[3])];
    let past: Record<string, ort.Tensor> = Object.fromEntries(pastNames.map((name) => [name, new ort.Tensor('float32', new Float32Array(0), [1, heads, 0, headSize])]));
    let step = prompt.map(BigInt);
    const tokens: number[] = [];
    for (let index = 0; index < count; index += 1) {
      const pastLength = Object.values(past)[0]?.dims[2] ?? 0;
      const outputs = await session.run({
        input_ids: new ort.Tensor('int64', BigInt64Array.from(step), [1, step.length]),
        attention_mask: new ort.Tensor('int64', new BigInt64Array(pastLength + step.length).fill(1n), [1, pastLength + step.length]),
        ...past,
      });
      const logits = outputs.logits!;
      const vocabulary = logits.dims[2]!;
      const last = (logits.data as Float32Array).subarray((step.length - 1) * vocabulary, step.length * vocabulary);
      const next = last.indexOf(Math.max(...last));
      tokens.push(next);
      step = [BigInt(next)];
      past = Object.fromEntries(pastNames.map((name) => [name, outputs[name.replace('past_key_values', 'present')]!]));
    }
    return tokens;
  } finally {
    await session.release();
  }
}

describe.each(['qwen2', 'gpt-neox'] as const)('gpux-convert convert %s (decoder with past) --optimize O2 --quantize int8', (kind) => {
  let scratch: string;
  let reference: DecoderReference;

  beforeAll(async () => {
    scratch = await mkdtemp(path.join(os.tmpdir(), `gpux-cli-${kind}-`));
    reference = await makeTinyDecoder(kind, path.join(scratch, kind));
  }, 600_000);

  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('writes every variant validated, and fp32, O2 and int8 generate PyTorch\'s 5 greedy tokens', async () => {
    const output = path.join(scratch, 'out');
    const run = await runBuiltCli(['convert', path.join(scratch, kind), '-o', output, '--cache-dir', path.join(scratch, 'cache'), '--optimize', 'O2', '--quantize', 'int8', '--json', '--no-latency']);
    expect(`${run.exitCode} ${run.stdout.split('\n').filter(Boolean).at(-1)?.slice(0, 2000)}`).toMatch(/^0 /);
    expect((await readdir(path.join(output, 'onnx'))).sort()).toEqual(['model.onnx', 'model_int8.onnx', 'model_optimized.onnx']);
    const report = JSON.parse(await readFile(path.join(output, 'conversion-report.json'), 'utf8')) as ConversionReport;
    expect(report.task).toBe('text-generation-with-past');
    expect(report.validation.map((entry) => [entry.path, entry.status])).toEqual([
      ['onnx/model.onnx', 'passed'],
      ['onnx/model_optimized.onnx', 'passed'],
      ['onnx/model_int8.onnx', 'passed'],
    ]);
    // The variants were checked on inputs whose attention mask covers past and new tokens.
    const optimizedCases = report.validation[1]?.report?.cases ?? [];
    expect(optimizedCases.map((entry) => entry.label)).toEqual([
      expect.stringContaining('past_sequence_length=4, past_sequence_length + sequence_length=12'),
      expect.stringContaining('past_sequence_length=9, past_sequence_length + sequence_length=26'),
    ]);
    expect(optimizedCases[0]?.outputs.find((entry) => entry.name === 'present.0.key')?.shape[2]).toBe(12);

    expect(new Set(reference.generated).size).toBeGreaterThan(2);
    // Trained, the fixture picks each token by a margin of several logits (about 7-9 measured; random
    // weights: 0.02-1.6), so the int8 variant can be held to PyTorch's tokens as on a real LLM.
    expect(Math.min(...reference.margins.trained)).toBeGreaterThan(2);
    expect(await greedyTokens(path.join(output, 'onnx', 'model.onnx'), reference.prompt, 5)).toEqual(reference.generated);
    expect(await greedyTokens(path.join(output, 'onnx', 'model_optimized.onnx'), reference.prompt, 5)).toEqual(reference.generated);
    // int8 with every weight MatMul and the embedding quantized, none kept in float for accuracy: at least
    // 4 projections per layer (GPT-NeoX fuses query/key/value) x 2 layers, the LM head and the embedding.
    const int8Details = report.variants.find((variant) => variant.name === 'quantize-int8')?.details?.model as { quantizedNodes: number; keptInFloat: unknown[] } | undefined;
    expect(int8Details?.keptInFloat).toEqual([]);
    expect(int8Details?.quantizedNodes).toBeGreaterThanOrEqual(10);
    expect(await greedyTokens(path.join(output, 'onnx', 'model_int8.onnx'), reference.prompt, 5)).toEqual(reference.generated);
  }, 600_000);
});
