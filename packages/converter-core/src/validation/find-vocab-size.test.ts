import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createTensor, makeGraph, makeModel, makeNode, makeValueInfo, saveOnnxModel } from '@gpux/onnx';

import { findVocabSize } from './find-vocab-size';

/** input_ids -> [Cast ->] Gather(embedding[rows, 4]) -> hidden. */
function embeddingModel(rows: number, options: { cast?: boolean; idsName?: string } = {}) {
  const ids = options.idsName ?? 'input_ids';
  const gatherIds = options.cast === true ? 'ids_int32' : ids;
  const nodes = [
    ...(options.cast === true ? [makeNode('Cast', [ids], ['ids_int32'], { attributes: { to: 6 } })] : []),
    makeNode('Gather', ['embedding', gatherIds], ['hidden']),
  ];
  const embedding = createTensor('embedding', 'float32', [rows, 4], Array.from({ length: rows * 4 }, (_, index) => index / 10));
  return makeModel(makeGraph(nodes, 'embed', [makeValueInfo(ids, 'int64', ['batch', 'sequence'])], [makeValueInfo('hidden', 'float32', ['batch', 'sequence', 4])], { initializer: [embedding] }));
}

describe('findVocabSize', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), 'gpux-vocab-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('reads the rows of the embedding table input_ids gathers from, directly or through a Cast', async () => {
    await saveOnnxModel(embeddingModel(37), path.join(directory, 'direct.onnx'));
    await saveOnnxModel(embeddingModel(53, { cast: true }), path.join(directory, 'cast.onnx'));
    expect(await findVocabSize(path.join(directory, 'direct.onnx'))).toBe(37);
    expect(await findVocabSize(path.join(directory, 'cast.onnx'))).toBe(53);
  });

  it('is undefined for a model without an input_ids input', async () => {
    await saveOnnxModel(embeddingModel(37, { idsName: 'pixel_values' }), path.join(directory, 'vision.onnx'));
    expect(await findVocabSize(path.join(directory, 'vision.onnx'))).toBeUndefined();
  });

  it("prefers vocab_size of the config.json beside the model, or of the output above an onnx/ folder", async () => {
    await mkdir(path.join(directory, 'onnx'));
    await saveOnnxModel(embeddingModel(37), path.join(directory, 'onnx', 'model.onnx'));
    await writeFile(path.join(directory, 'config.json'), JSON.stringify({ vocab_size: 30 }));
    expect(await findVocabSize(path.join(directory, 'onnx', 'model.onnx'))).toBe(30);
    await writeFile(path.join(directory, 'onnx', 'config.json'), JSON.stringify({ vocab_size: 25 }));
    expect(await findVocabSize(path.join(directory, 'onnx', 'model.onnx'))).toBe(25);
  });

  it('falls back to the graph when the config has no usable vocab_size', async () => {
    await saveOnnxModel(embeddingModel(41), path.join(directory, 'model.onnx'));
    await writeFile(path.join(directory, 'config.json'), JSON.stringify({ vocab_size: 0, hidden_size: 4 }));
    expect(await findVocabSize(path.join(directory, 'model.onnx'))).toBe(41);
    await writeFile(path.join(directory, 'config.json'), '{ not json');
    expect(await findVocabSize(path.join(directory, 'model.onnx'))).toBe(41);
  });

  it("takes vocab_size of a config it is given instead of the config.json files, and the graph when that config has none", async () => {
    await saveOnnxModel(embeddingModel(43), path.join(directory, 'model.onnx'));
    await writeFile(path.join(directory, 'config.json'), JSON.stringify({ vocab_size: 30 }));
    expect(await findVocabSize(path.join(directory, 'model.onnx'), { config: { vocab_size: 21 } })).toBe(21);
    expect(await findVocabSize(path.join(directory, 'model.onnx'), { config: { hidden_size: 4 } })).toBe(43);
    expect(await findVocabSize(path.join(directory, 'model.onnx'), { config: { vocab_size: 12.5 } })).toBe(43);
  });

  it('rejects an empty path with a TypeError naming the parameter', async () => {
    await expect(findVocabSize('')).rejects.toThrow(/"modelPath"/);
  });
});
