/**
 * Encoder-decoder text models (text2text-generation) are exported as Optimum and transformers.js lay
 * them out: encoder_model, decoder_model (first step) and decoder_with_past_model (next steps, with
 * the key/value cache). Every file is validated against PyTorch at two sizes, and the three files
 * together generate PyTorch's 10 greedy tokens.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import type { ExportResult } from '@gpux/converter-core';
import { drainEvents } from '@gpux/converter-core';
import * as ort from 'onnxruntime-node';

import { createPytorchAdapter } from './pytorch-adapter';
import { argmax, compareReferenceCases } from './test-support/compare-reference-cases';
import type { TinyModel } from './test-support/tiny-models';
import { makeTinyModels } from './test-support/tiny-models';

const adapter = createPytorchAdapter();
let root: string;
let models: Record<string, TinyModel>;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'gpux-pytorch-seq2seq-'));
  models = await makeTinyModels(path.join(root, 'models'), ['t5', 'marian', 'bart-generation']);
}, 300_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function exportDirectory(name: string): Promise<ExportResult> {
  const source = { path: models[name]!.path, kind: 'directory' as const };
  const detection = await adapter.detect(source);
  if (detection === undefined) throw new Error(`${name} was not detected`);
  const outputDirectory = path.join(root, 'out', name);
  const workDirectory = path.join(root, 'work', name);
  await mkdir(outputDirectory, { recursive: true });
  await mkdir(workDirectory, { recursive: true });
  return drainEvents(adapter.export({ source, detection, outputDirectory, workDirectory }));
}

function int64(values: number[], dims: number[]): ort.Tensor {
  return new ort.Tensor('int64', BigInt64Array.from(values.map(BigInt)), dims);
}

/** Greedy decoding with the three ONNX files: the encoder once, decoder_model for the first token, then the cache. */
async function greedyTokens(result: ExportResult, prompt: number[], start: number, count: number): Promise<number[]> {
  const [encoder, decoder, decoderWithPast] = await Promise.all(result.files.map((file) => ort.InferenceSession.create(file.path)));
  try {
    const mask = int64(prompt.map(() => 1), [1, prompt.length]);
    const { last_hidden_state: hidden } = await encoder!.run({ input_ids: int64(prompt, [1, prompt.length]), attention_mask: mask });
    let outputs = await decoder!.run({ input_ids: int64([start], [1, 1]), encoder_attention_mask: mask, encoder_hidden_states: hidden! });
    const encoderPast = Object.fromEntries(
      Object.entries(outputs).filter(([name]) => name.endsWith('.encoder.key') || name.endsWith('.encoder.value'))
        .map(([name, tensor]) => [name.replace('present', 'past_key_values'), tensor]),
    );
    const tokens: number[] = [];
    for (;;) {
      const logits = outputs.logits!;
      const vocabulary = logits.dims[2]!;
      tokens.push(argmax(logits.data as Float32Array, (logits.dims[1]! - 1) * vocabulary, vocabulary));
      if (tokens.length === count) return tokens;
      const past = Object.fromEntries(
        Object.entries(outputs).filter(([name]) => name.includes('.decoder.')).map(([name, tensor]) => [name.replace('present', 'past_key_values'), tensor]),
      );
      outputs = await decoderWithPast!.run({ input_ids: int64([tokens.at(-1)!], [1, 1]), encoder_attention_mask: mask, ...past, ...encoderPast });
    }
  } finally {
    for (const session of [encoder, decoder, decoderWithPast]) await session?.release();
  }
}

it.each([
  ['t5', 'T5ForConditionalGeneration', 16],
  ['marian', 'MarianMTModel', 16],
  ['bart-generation', 'BartForConditionalGeneration', 16],
])('exports %s as encoder_model + decoder_model + decoder_with_past_model and generates PyTorch\'s 10 greedy tokens', async (name, architecture, headSize) => {
  const model = models[name]!;
  const result = await exportDirectory(name);
  expect(result.task).toBe('text2text-generation');
  expect(result.architecture).toBe(architecture);
  expect(result.files.map((file) => file.name)).toEqual(['encoder_model', 'decoder_model', 'decoder_with_past_model']);
  const [encoder, decoder, decoderWithPast] = result.files;
  expect(encoder!.inputs).toEqual([
    { name: 'input_ids', dtype: 'int64', shape: ['batch_size', 'encoder_sequence_length'] },
    { name: 'attention_mask', dtype: 'int64', shape: ['batch_size', 'encoder_sequence_length'] },
  ]);
  expect(encoder!.outputs).toEqual([{ name: 'last_hidden_state', dtype: 'float32', shape: ['batch_size', 'encoder_sequence_length', 32] }]);
  expect(decoder!.inputs.map((input) => input.name)).toEqual(['input_ids', 'encoder_attention_mask', 'encoder_hidden_states']);
  // Optimum's names: two layers, self-attention (decoder) and cross-attention (encoder) keys and values.
  expect(decoder!.outputs.map((output) => output.name)).toEqual([
    'logits', 'present.0.decoder.key', 'present.0.decoder.value', 'present.1.decoder.key', 'present.1.decoder.value',
    'present.0.encoder.key', 'present.0.encoder.value', 'present.1.encoder.key', 'present.1.encoder.value',
  ]);
  expect(decoder!.outputs[0]).toEqual({ name: 'logits', dtype: 'float32', shape: ['batch_size', 'decoder_sequence_length', 96] });
  expect(decoder!.outputs[5]?.shape).toEqual(['batch_size', 2, 'encoder_sequence_length', headSize]);
  expect(decoderWithPast!.inputs.find((input) => input.name === 'past_key_values.1.decoder.value')?.shape)
    .toEqual(['batch_size', 2, 'past_decoder_sequence_length', headSize]);
  expect(decoderWithPast!.inputs.find((input) => input.name === 'past_key_values.0.encoder.key')?.shape)
    .toEqual(['batch_size', 2, 'encoder_sequence_length', headSize]);
  expect(decoderWithPast!.outputs.map((output) => output.name)).toEqual(['logits', 'present.0.decoder.key', 'present.0.decoder.value', 'present.1.decoder.key', 'present.1.decoder.value']);
  expect(decoderWithPast!.outputs[1]?.shape).toEqual(['batch_size', 2, 'past_decoder_sequence_length + decoder_sequence_length', headSize]);

  // Two reference cases per file, at different batch, encoder, decoder and past lengths.
  const differences = await compareReferenceCases(result);
  expect(differences).toHaveLength(6);
  for (const file of result.files) {
    expect(new Set(differences.filter((difference) => difference.modelName === file.name).map((difference) => difference.label)).size).toBe(2);
  }
  for (const difference of differences) {
    for (const [output, value] of Object.entries(difference.maxAbsDiff)) expect({ output, value: value < 1e-3 }).toEqual({ output, value: true });
  }
  expect(result.referenceCases.find((entry) => entry.modelName === 'decoder_with_past_model')?.inputs['past_key_values.0.decoder.key']?.shape)
    .toEqual([1, 2, 4, headSize]);

  const tokens = await greedyTokens(result, model.prompt!, model.decoderStartTokenId!, 10);
  expect(tokens).toEqual(model.greedyTokens);
  expect(new Set(model.greedyTokens).size).toBeGreaterThan(3);
}, 300_000);
