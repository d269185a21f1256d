import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  OnnxError,
  createTensor,
  loadOnnxModel,
  loadOnnxModelFromBuffer,
  makeGraph,
  makeModel,
  makeNode,
  makeValueInfo,
  saveOnnxModel,
  serializeOnnxModel,
} from './index';
import { findTestPython } from '@gpux/test-helpers';
import { runFixture } from './test-fixtures/run-fixture';

const encoder = new TextEncoder();

function varint(value: number): number[] {
  const bytes: number[] = [];
  let remaining = value;
  while (remaining >= 128) {
    bytes.push((remaining % 128) | 128);
    remaining = Math.floor(remaining / 128);
  }
  bytes.push(remaining);
  return bytes;
}

/** One protobuf field, encoded by hand (independent of the codec under test). */
function field(number: number, wireType: 0 | 1 | 2 | 5, payload: number | string | number[]): number[] {
  const tag = varint(number * 8 + wireType);
  if (wireType === 0) return [...tag, ...varint(payload as number)];
  if (wireType === 1 || wireType === 5) return [...tag, ...(payload as number[])];
  const bytes = typeof payload === 'string' ? Array.from(encoder.encode(payload)) : (payload as number[]);
  return [...tag, ...varint(bytes.length), ...bytes];
}

function valueInfo(name: string, elementType: number): number[] {
  const dim = field(1, 0, 2);
  const shape = field(1, 2, dim);
  const tensorType = [...field(1, 0, elementType), ...field(2, 2, shape)];
  return [...field(1, 2, name), ...field(2, 2, field(1, 2, tensorType))];
}

/** A model whose node, value info and top level carry fields (and an enum value) the schema does not know. */
function modelWithUnknownFields(): Uint8Array {
  const node = [
    ...field(1, 2, 'x'),
    ...field(2, 2, 'y'),
    ...field(4, 2, 'Relu'),
    ...field(77, 0, 300),
    ...field(78, 2, 'from the future'),
  ];
  const graph = [
    ...field(1, 2, node),
    ...field(2, 2, 'g'),
    ...field(11, 2, valueInfo('x', 1)),
    ...field(12, 2, [...valueInfo('y', 1), ...field(9, 5, [1, 2, 3, 4])]),
    ...field(13, 2, valueInfo('z', 99)), // element type 99 does not exist (yet)
  ];
  return Uint8Array.from([
    ...field(1, 0, 10),
    ...field(7, 2, graph),
    ...field(8, 2, [...field(1, 2, ''), ...field(2, 0, 21)]),
    ...field(1000, 1, [1, 2, 3, 4, 5, 6, 7, 8]),
    ...field(1001, 2, field(1, 0, 5)),
  ]);
}

function denseModelBytes(): Uint8Array {
  const weight = createTensor('weight', 'float32', [4, 4], Float32Array.from({ length: 16 }, (_, index) => index));
  const graph = makeGraph(
    [makeNode('MatMul', ['x', 'weight'], ['y'], { name: 'matmul' })],
    'dense',
    [makeValueInfo('x', 'float32', ['batch', 4])],
    [makeValueInfo('y', 'float32', ['batch', 4])],
    { initializer: [weight] },
  );
  return serializeOnnxModel(makeModel(graph));
}

function expectInvalid(bytes: Uint8Array, messagePart: string): void {
  let caught: unknown;
  try {
    loadOnnxModelFromBuffer(bytes);
  } catch (error) {
    caught = error;
  }
  expect(OnnxError.hasCode(caught, 'INVALID_MODEL_FILE')).toBe(true);
  expect((caught as Error).message).toContain(messagePart);
}

describe('ONNX protobuf codec', () => {
  let directory: string;

  beforeEach(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), 'gpux-onnx-codec-'));
  });

  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('keeps fields and enum values it does not know, byte for byte, as Python protobuf does', async () => {
    const bytes = modelWithUnknownFields();
    const model = loadOnnxModelFromBuffer(bytes);
    const node = model.graph!.node[0]!;
    expect(node.opType).toBe('Relu');
    expect(node.unknownFields?.map((part) => Array.from(part))).toEqual([field(77, 0, 300), field(78, 2, 'from the future')]);
    expect(model.graph!.valueInfo[0]!.type!.tensorType!.elemType).toBe(99);
    expect(model.unknownFields).toHaveLength(2);
    expect(Buffer.from(serializeOnnxModel(model)).equals(Buffer.from(bytes))).toBe(true);

    const source = path.join(directory, 'future.onnx');
    const target = path.join(directory, 'saved.onnx');
    await writeFile(source, bytes);
    await saveOnnxModel(await loadOnnxModel(source), target);
    expect(Buffer.compare(await readFile(target), Buffer.from(bytes))).toBe(0);
    // Python protobuf keeps unknown fields too: its re-serialization gives the same bytes.
    const python = await findTestPython('pytorch');
    const comparison = runFixture(python, 'compare_models.py', [source, target]) as { identical_bytes: boolean; equal_messages: boolean };
    expect(comparison.identical_bytes).toBe(true);
    expect(comparison.equal_messages).toBe(true);
  }, 600_000);

  it('rejects truncated files at every cut inside the graph', () => {
    const bytes = denseModelBytes();
    const graphTagIndex = bytes.indexOf(7 * 8 + 2);
    expect(graphTagIndex).toBeGreaterThan(0);
    for (let cut = graphTagIndex + 1; cut < bytes.length - 8; cut += 1) {
      expectInvalid(bytes.subarray(0, cut), 'corrupt, truncated or not an ONNX model');
    }
    expectInvalid(bytes.subarray(0, bytes.length - 30), 'runs past the end');
  });

  it('names what is wrong with malformed bytes', () => {
    expectInvalid(Uint8Array.from([0x08, 0xff]), 'truncated varint');
    expectInvalid(Uint8Array.from([0x38, 0x01]), 'wire type 0, expected 2'); // graph sent as a varint
    expectInvalid(Uint8Array.from([0x3a, 0x7f, 0x01]), 'runs past the end');
    expectInvalid(new Uint8Array(0), 'neither an IR version nor a graph');
    expectInvalid(Uint8Array.from(field(1, 0, 9)), 'the model has no graph');
    expectInvalid(encoder.encode('{"not": "an onnx model"}'), 'wire type');
    expectInvalid(Uint8Array.from([0x08, 0x0a, 0x00]), 'field number 0');
  });

  it('rejects corrupt, random and missing files with INVALID_MODEL_FILE', async () => {
    let seed = 12345;
    const random = Uint8Array.from({ length: 4096 }, () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed >> 16 & 0xff;
    });
    const corrupt = path.join(directory, 'random.onnx');
    await writeFile(corrupt, random);
    const errors = await Promise.all(
      [corrupt, path.join(directory, 'missing.onnx'), directory].map((file) => loadOnnxModel(file).then(() => undefined, (error: unknown) => error)),
    );
    for (const error of errors) expect(OnnxError.hasCode(error, 'INVALID_MODEL_FILE')).toBe(true);
    expect((errors[0] as Error).message).toContain(corrupt);
    expect((errors[1] as Error).message).toContain('missing.onnx');
  });
});
