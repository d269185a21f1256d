// Text classifiers whose string preprocessing ONNX cannot express (python/byte_ngram_frontend.py):
// hashed byte n-grams become UTF-8 bytes in and a table of TensorFlow's own hash buckets; any
// other string hashing is refused with the operators and the reason. The fixtures are frozen
// GraphDefs and a SavedModel that the test builds (fixtures/make_breadth_fixtures.py); the TF.js package that
// ships such a model (@vscode/vscode-languagedetection) is in tfjs-npm-models.test.ts.
import path from 'node:path';

import { ConversionError, convert } from '@gpux/converter-core';
import * as ort from 'onnxruntime-node';

import { buildFixtures, exportSource, makeTemporaryDirectory, tensorflowPython } from './test-support/tensorflow-fixtures';
import { createTensorflowAdapter } from './tensorflow-adapter';

let root = '';
let cleanup: () => Promise<void> = async () => {};

beforeAll(async () => {
  ({ directory: root, cleanup } = await makeTemporaryDirectory('gpux-tf-byte-ngrams-'));
  await buildFixtures(await tensorflowPython(), root, ['byte_bigram_classifier', 'byte_bigram_savedmodel', 'word_hash_classifier'], 'make_breadth_fixtures.py');
}, 600_000);

afterAll(async () => {
  await cleanup();
});

/** UTF-8 bytes of `texts`, zero padded to the longest, with their lengths: the rewritten model's inputs. */
function encodeTexts(texts: string[]): { data: ort.Tensor; lengths: ort.Tensor } {
  const encoded = texts.map((text) => new TextEncoder().encode(text));
  const width = Math.max(...encoded.map((bytes) => bytes.length));
  const data = new Uint8Array(encoded.length * width);
  encoded.forEach((bytes, row) => data.set(bytes, row * width));
  return {
    data: new ort.Tensor('uint8', data, [encoded.length, width]),
    lengths: new ort.Tensor('int64', BigInt64Array.from(encoded.map((bytes) => BigInt(bytes.length))), [encoded.length]),
  };
}

describe('hashed byte n-gram front-ends', () => {
  it('converts a frozen byte-bigram classifier to a bytes-in model and validates it against TensorFlow on strings', async () => {
    const outputDirectory = path.join(root, 'byte-bigram-out');
    const converted = await convert({ source: path.join(root, 'byte_bigram_classifier.pb'), adapters: [createTensorflowAdapter()], outputDirectory });
    const { report } = converted;
    expect(report.task).toBe('text-classification');
    expect(report.notes).toContain(
      'The string input text became text_utf8 (uint8 [batch_size, bytes]: UTF-8, rows zero padded) and text_length (int64 [batch_size]: bytes per row): ONNX has no op to split a string into bytes or to hash it, so its byte 2-gram hashing (StringToHashBucketFast: 1 op(s)) is a lookup table of 65537 buckets that TensorFlow computed. 6 probe strings gave the same buckets and outputs as the string graph (max abs diff 0).',
    );
    const model = report.models[0]!;
    expect(model.inputs.map((input) => [input.name, input.dtype, input.shape.length])).toEqual([
      ['text_utf8:0', 'uint8', 2],
      ['text_length:0', 'int64', 1],
    ]);
    expect(model.outputs.map((output) => [output.dtype, output.shape[1]])).toEqual([['float32', 3]]);
    const validation = report.validation[0]!;
    expect(validation.status).toBe('passed');
    expect(validation.report!.cases).toHaveLength(2);
    for (const entry of validation.report!.cases) {
      expect(entry.outputs[0]!.maxAbsDiff!).toBeLessThan(1e-5);
    }
    // Different texts give different probabilities (the buckets reach the embedding), each row sums
    // to 1, and the zero padding of a shorter row does not change its result.
    const session = await ort.InferenceSession.create(converted.modelPath);
    try {
      const outputName = session.outputNames[0]!;
      const run = async (texts: string[]) => {
        const { data, lengths } = encodeTexts(texts);
        return Array.from((await session.run({ 'text_utf8:0': data, 'text_length:0': lengths }))[outputName]!.data as Float32Array);
      };
      const both = await run(['fn main() { println!("hi"); }', 'SELECT name FROM users WHERE id = 1; -- one row, padded']);
      const alone = await run(['fn main() { println!("hi"); }']);
      expect(Math.abs(both[0]! + both[1]! + both[2]! - 1)).toBeLessThan(1e-5);
      expect(Math.max(...both.slice(0, 3).map((value, index) => Math.abs(value - both[index + 3]!)))).toBeGreaterThan(1e-3);
      expect(Math.max(...alone.map((value, index) => Math.abs(value - both[index]!)))).toBeLessThan(1e-6);
    } finally {
      await session.release();
    }
  });

  it('rewrites the same classifier inside a SavedModel signature (its inlined call\'s control edges on the string input dropped)', async () => {
    const converted = await convert({ source: path.join(root, 'byte_bigram_savedmodel'), adapters: [createTensorflowAdapter()], outputDirectory: path.join(root, 'byte-bigram-savedmodel-out') });
    const { report } = converted;
    expect(report.task).toBe('text-classification');
    expect(report.notes.some((note) => note.startsWith('The string input text became text_utf8'))).toBe(true);
    const model = report.models[0]!;
    expect(model.inputs.map((input) => [input.name, input.dtype])).toEqual([
      ['text_utf8', 'uint8'],
      ['text_length', 'int64'],
    ]);
    expect(model.outputs.map((output) => [output.name, output.shape[1]])).toEqual([['probabilities', 3]]);
    const validation = report.validation[0]!;
    expect(validation.status).toBe('passed');
    for (const entry of validation.report!.cases) expect(entry.outputs[0]!.maxAbsDiff!).toBeLessThan(1e-5);
    // One byte has no bigram: the embedding mean is 0 and the softmax uniform, as in TensorFlow.
    const session = await ort.InferenceSession.create(converted.modelPath);
    try {
      const { data, lengths } = encodeTexts(['x', 'hello world']);
      const probabilities = Array.from((await session.run({ text_utf8: data, text_length: lengths })).probabilities!.data as Float32Array);
      expect(probabilities.slice(0, 3).map((value) => Math.abs(value - 1 / 3) < 1e-6)).toEqual([true, true, true]);
      expect(Math.max(...probabilities.slice(3)) - Math.min(...probabilities.slice(3))).toBeGreaterThan(0.05);
    } finally {
      await session.release();
    }
  });

  it('refuses word hashing (an open vocabulary no table covers) with the operators and why the rewrite does not apply', async () => {
    const failure = await exportSource(path.join(root, 'word_hash_classifier.pb'), root).catch((error: unknown) => error);
    expect(ConversionError.hasCode(failure, 'UNSUPPORTED_OPERATOR')).toBe(true);
    expect((failure as ConversionError).details.operators).toEqual([
      { op: 'StringSplitV2', count: 1 },
      { op: 'StringToHashBucketFast', count: 1 },
    ]);
    expect((failure as ConversionError).message).toContain(
      'word_hash_classifier.pb (its string hashing is not a byte n-gram front-end GPUX can rewrite: its strings are not split into bytes and joined into n-grams of one kind)',
    );
  });
});
