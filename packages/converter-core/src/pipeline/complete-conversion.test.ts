import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTensor, makeGraph, makeModel, makeNode, makeValueInfo, saveOnnxModel } from '@gpux/onnx';
import { ADAPTER_SPECIFICATION_VERSION, type ConverterAdapter, type DetectionResult, type ExportRequest, type ExportResult, type ModelSource } from '../adapter';
import type { ProgressEvent } from '../progress-event';
import { convert } from './convert';
import type { ModelVariantStage } from './model-variant-stage';

const TABLE_ROWS = 20;

/** Exports input_ids -> Gather(embedding[20, 4]) -> hidden, with no reference cases (so only variants are compared). */
class EmbeddingTestAdapter implements ConverterAdapter {
  readonly specificationVersion = ADAPTER_SPECIFICATION_VERSION;
  readonly name = 'embedding-test';
  readonly framework = 'pytorch' as const;

  detect(source: ModelSource): Promise<DetectionResult | undefined> {
    const recognised = source.kind === 'directory' && existsSync(path.join(source.path, 'embedding.json'));
    return Promise.resolve(recognised ? { framework: 'pytorch', format: 'test-embedding', task: 'feature-extraction', reason: 'embedding.json is present' } : undefined);
  }

  async *export(request: ExportRequest): AsyncGenerator<ProgressEvent, ExportResult, void> {
    yield* [];
    const modelPath = path.join(request.outputDirectory, 'model.onnx');
    const table = createTensor('embedding', 'float32', [TABLE_ROWS, 4], Array.from({ length: TABLE_ROWS * 4 }, (_, index) => index / 10));
    const graph = makeGraph([makeNode('Gather', ['embedding', 'input_ids'], ['hidden'])], 'embed', [makeValueInfo('input_ids', 'int64', ['batch_size', 'sequence_length'])], [makeValueInfo('hidden', 'float32', ['batch_size', 'sequence_length', 4])], {
      initializer: [table],
    });
    await saveOnnxModel(makeModel(graph), modelPath);
    return {
      files: [
        {
          name: 'model',
          path: modelPath,
          inputs: [{ name: 'input_ids', dtype: 'int64', shape: ['batch_size', 'sequence_length'] }],
          outputs: [{ name: 'hidden', dtype: 'float32', shape: ['batch_size', 'sequence_length', 4] }],
        },
      ],
      task: 'feature-extraction',
      opset: 17,
      exporter: 'hand-written protobuf (test)',
      notes: [],
      toolVersions: {},
      referenceCases: [],
    };
  }
}

const copyStage: ModelVariantStage = {
  name: 'quantize-copy',
  phase: 'quantize',
  fileSuffix: '_quantized',
  tolerances: { atol: 1e-6, rtol: 0 },
  async *run({ modelPath, outputPath }) {
    yield* [];
    await copyFile(modelPath, outputPath);
    return { notes: [] };
  },
};

describe('completeConversion: the vocabulary of generated token ids', () => {
  let root: string;
  let sourceDirectory: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'gpux-complete-conversion-'));
    sourceDirectory = path.join(root, 'source');
    await mkdir(sourceDirectory);
    await writeFile(path.join(sourceDirectory, 'embedding.json'), '{}');
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('without vocab_size in the config, takes the exported embedding table\'s rows, so every id is a row onnxruntime can gather', async () => {
    await writeFile(path.join(sourceDirectory, 'config.json'), JSON.stringify({ hidden_size: 4 }));
    const result = await convert({ source: sourceDirectory, adapters: [new EmbeddingTestAdapter()], outputDirectory: path.join(root, 'out'), variants: [copyStage] });
    const variant = result.report.validation.find((entry) => entry.variant === 'quantize-copy');
    expect(variant?.status).toBe('passed');
  });

  it('takes the config\'s vocab_size first: ids up to 100 for a 20-row table make the variant\'s comparison fail in onnxruntime', async () => {
    await writeFile(path.join(sourceDirectory, 'config.json'), JSON.stringify({ vocab_size: 100 }));
    const result = await convert({ source: sourceDirectory, adapters: [new EmbeddingTestAdapter()], outputDirectory: path.join(root, 'out'), variants: [copyStage] });
    const variant = result.report.validation.find((entry) => entry.variant === 'quantize-copy');
    expect(variant?.status).toBe('failed');
    expect(variant?.reason).toMatch(/indices element out of data bounds, idx=\d+ must be within the inclusive range \[-20,19\]/);
  });
});
