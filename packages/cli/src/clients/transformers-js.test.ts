// transformers.js (@huggingface/transformers 4.3, Node, onnxruntime-node inside) loads what
// gpux-convert writes, offline from the local folder, with every dtype we write, and its results
// match PyTorch's: feature-extraction embeddings, greedy text generation with past, image top-1.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { cosine, makeClientModel, runTransformersJs } from '../test-support/client-models';
import { runBuiltCli } from '../test-support/run-built-cli';

describe('transformers.js on gpux-convert output', () => {
  let scratch: string;
  beforeAll(async () => {
    scratch = await mkdtemp(path.join(os.tmpdir(), 'gpux-transformers-js-'));
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('feature-extraction: fp32, fp16, int8, uint8, q8 and q4 files load by dtype, with cosine vs PyTorch at the budget', async () => {
    const source = path.join(scratch, 'bert-source');
    const reference = await makeClientModel<{ sentences: string[]; embeddings: number[][] }>('bert-embeddings', source);
    const output = path.join(scratch, 'bert');
    const run = await runBuiltCli(['convert', source, '-o', output, '--quantize', 'fp16,int8,uint8,q8,q4', '--no-latency']);
    expect(run.stderr).not.toMatch(/error \[/);
    expect(run.exitCode).toBe(0);
    expect((await readdir(path.join(output, 'onnx'))).sort()).toEqual(['model.onnx', 'model_fp16.onnx', 'model_int8.onnx', 'model_q4.onnx', 'model_quantized.onnx', 'model_uint8.onnx']);
    const budgets: Record<string, number> = { fp32: 0.9999, fp16: 0.9999, int8: 0.985, uint8: 0.985, q8: 0.985, q4: 0.95 };
    for (const [dtype, budget] of Object.entries(budgets)) {
      const result = await runTransformersJs<{ embeddings: number[][] }>({ task: 'feature-extraction', model: output, dtype, sentences: reference.sentences });
      expect(result.embeddings).toHaveLength(reference.sentences.length);
      const similarities = result.embeddings.map((embedding, index) => cosine(embedding, reference.embeddings[index] as number[]));
      expect({ dtype, minCosine: Math.min(...similarities) >= budget }).toEqual({ dtype, minCosine: true });
    }
  });

  it('text-generation: a GPT-2 exported with past generates the same 10 greedy tokens as PyTorch', async () => {
    const source = path.join(scratch, 'gpt2-source');
    const reference = await makeClientModel<{ prompt: number[]; generated: number[] }>('gpt2', source);
    // The fixture's tokens are not one repeated token, so equality means something.
    expect(new Set(reference.generated).size).toBeGreaterThan(3);
    const output = path.join(scratch, 'gpt2');
    const run = await runBuiltCli(['convert', source, '-o', output, '--task', 'text-generation-with-past', '--no-latency']);
    expect(run.exitCode).toBe(0);
    expect(await readdir(output)).toEqual(expect.arrayContaining(['config.json', 'generation_config.json', 'tokenizer.json', 'onnx']));
    const result = await runTransformersJs<{ generated: number[] }>({ task: 'text-generation', model: output, dtype: 'fp32', prompt: reference.prompt, maxNewTokens: 10 });
    expect(result.generated).toEqual(reference.generated);
  });

  it('image-classification: a ViT gives the same top-1 label as PyTorch', async () => {
    const source = path.join(scratch, 'vit-source');
    const reference = await makeClientModel<{ label: string; logits: number[] }>('vit', source);
    const output = path.join(scratch, 'vit');
    const run = await runBuiltCli(['convert', source, '-o', output, '--no-latency']);
    expect(run.exitCode).toBe(0);
    const result = await runTransformersJs<{ labels: Array<{ label: string; score: number }> }>({ task: 'image-classification', model: output, dtype: 'fp32', image: path.join(source, 'image.png') });
    expect(result.labels[0]?.label).toBe(reference.label);
    // The scores are PyTorch's softmax.
    const exp = reference.logits.map(Math.exp);
    const total = exp.reduce((sum, value) => sum + value, 0);
    expect(result.labels[0]?.score).toBeCloseTo(Math.max(...exp) / total, 4);
  });
});
