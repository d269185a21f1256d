import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ModelProto, TensorProto } from '@gpux/onnx';
import { ConversionError } from '@gpux/converter-core';
import { DataType, createTensor, float32ToFloat16Bits, isExternalTensor, loadOnnxModel, makeGraph, makeModel, makeNode, makeValueInfo, saveOnnxModel, tensorRawBytes, tensorToTypedArray } from '@gpux/onnx';
import { randomFloats, runOnnxModel } from '../passes/test-support/run-onnx-model';
import { convertModelToFloat16 } from './convert-model-to-float16';
import { convertToFloat16 } from './convert-to-float16';
import { forEachFloat32Chunk, toFloat16Tensor } from './float16-tensor';

let directory: string;

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'gpux-fp16-'));
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

/** x[2, 32] -> MatMul w1 [32, 64] + b1 -> Relu -> MatMul w2 [64, 8] -> y; w1 holds a subnormal and an out-of-range value. */
function mlpModel(): ModelProto {
  const w1 = randomFloats(32 * 64, 11).map((value) => value * 0.3);
  w1[5] = 1e-9;
  w1[6] = -1e5;
  const initializer = [
    createTensor('w1', 'float32', [32, 64], w1),
    createTensor('b1', 'float32', [64], randomFloats(64, 12)),
    createTensor('w2', 'float32', [64, 8], randomFloats(64 * 8, 13).map((value) => value * 0.3)),
  ];
  const nodes = [makeNode('MatMul', ['x', 'w1'], ['h']), makeNode('Add', ['h', 'b1'], ['hb']), makeNode('Relu', ['hb'], ['r']), makeNode('MatMul', ['r', 'w2'], ['y'])];
  return makeModel(makeGraph(nodes, 'mlp', [makeValueInfo('x', 'float32', [2, 32])], [makeValueInfo('y', 'float32', [2, 8])], { initializer }), { opsetImports: [{ domain: '', version: 17 }] });
}

const feeds = { x: { data: randomFloats(2 * 32, 5), dims: [2, 32] } };

function byName(model: ModelProto, name: string): TensorProto {
  return model.graph!.initializer.find((tensor) => tensor.name === name)!;
}

describe('convertModelToFloat16', () => {
  test('a model with external data gives the in-memory result bit for bit and keeps external data', async () => {
    const input = path.join(directory, 'external', 'model.onnx');
    await saveOnnxModel(mlpModel(), input, { externalData: true, sizeThreshold: 0 });
    expect((await loadOnnxModel(input)).graph!.initializer.every(isExternalTensor)).toBe(true);

    const inMemory = mlpModel();
    const memoryReport = convertToFloat16(inMemory);
    const output = path.join(directory, 'external-out', 'model_fp16.onnx');
    const result = await convertModelToFloat16(input, output);

    expect(result.report.initializersConverted).toBe(3);
    expect(result.report.valuesClamped).toBe(2);
    expect(result.report).toEqual(memoryReport);
    expect(result.externalDataPath).toBe(`${output}.data`);
    expect((await readdir(path.dirname(output))).sort()).toEqual(['model_fp16.onnx', 'model_fp16.onnx.data']);
    const written = await loadOnnxModel(output);
    for (const name of ['w1', 'b1', 'w2']) {
      const tensor = byName(written, name);
      // saveOnnxModel's default sizeThreshold (1 KiB) keeps the 128-byte float16 bias inline.
      expect(isExternalTensor(tensor)).toBe(name !== 'b1');
      expect(tensor.dataType).toBe(DataType.FLOAT16);
      expect(Buffer.from(tensorRawBytes(tensor)!).equals(Buffer.from(byName(inMemory, name).rawData!))).toBe(true);
    }
    // Clamped: 1e-9 -> float16's smallest subnormal (bits 0x0001), -1e5 -> -65504 (0xfbff).
    const w1 = tensorToTypedArray(byName(written, 'w1'), { halfPrecision: 'bits' });
    expect([w1[5], w1[6]]).toEqual([0x0001, 0xfbff]);

    const expected = await runOnnxModel(inMemory, feeds);
    const actual = await runOnnxModel(output, feeds);
    expect(actual.y!.type).toBe('float32');
    expect(actual.y!.values).toEqual(expected.y!.values);
    const float32 = await runOnnxModel(mlpModel(), feeds);
    expect(actual.y!.values).not.toEqual(float32.y!.values);
  });

  test('an in-memory input stays one file; externalData: false inlines external weights', async () => {
    const input = path.join(directory, 'inline', 'model.onnx');
    await saveOnnxModel(mlpModel(), input);
    const output = path.join(directory, 'inline', 'model_fp16.onnx');
    const result = await convertModelToFloat16(input, output);
    expect(result.externalDataPath).toBeUndefined();
    expect(await readdir(path.dirname(output))).toHaveLength(2);

    const external = path.join(directory, 'external', 'model.onnx');
    const inlined = path.join(directory, 'inlined', 'model_fp16.onnx');
    const forced = await convertModelToFloat16(external, inlined, { externalData: false });
    expect(forced.externalDataPath).toBeUndefined();
    expect((await loadOnnxModel(inlined)).graph!.initializer.some(isExternalTensor)).toBe(false);
    expect((await runOnnxModel(inlined, feeds)).y!.values).toEqual((await runOnnxModel(output, feeds)).y!.values);
  });

  test('an aborted signal throws CANCELLED and leaves no output', async () => {
    const input = path.join(directory, 'external', 'model.onnx');
    const output = path.join(directory, 'cancelled', 'model_fp16.onnx');
    const controller = new AbortController();
    controller.abort();
    const error = await convertModelToFloat16(input, output, { signal: controller.signal }).catch((caught: unknown) => caught);
    expect(ConversionError.hasCode(error, 'CANCELLED')).toBe(true);
    expect(existsSync(output)).toBe(false);
  });

  test('rejects the same path for input and output', async () => {
    await expect(convertModelToFloat16('a.onnx', './a.onnx')).rejects.toThrow(/outputPath/);
  });
});

describe('forEachFloat32Chunk', () => {
  test('visits external, raw_data and float_data values in order across chunk boundaries', async () => {
    const input = path.join(directory, 'external', 'model.onnx');
    const external = byName(await loadOnnxModel(input), 'b1');
    const expected = Array.from(tensorToTypedArray(external) as Float32Array);
    const fromFloatData: TensorProto = { ...createTensor('f', 'float32', [64], new Float32Array(64)), floatData: Float32Array.from(expected), rawData: undefined };
    for (const tensor of [external, createTensor('r', 'float32', [64], Float32Array.from(expected)), fromFloatData]) {
      const seen: number[] = [];
      const starts: number[] = [];
      forEachFloat32Chunk(tensor, path.dirname(input), (values, start) => {
        starts.push(start);
        seen.push(...values);
      }, 10);
      expect(starts).toEqual([0, 10, 20, 30, 40, 50, 60]);
      expect(seen).toEqual(expected);
    }
  });

  test('toFloat16Tensor keeps name, dims and doc string and reports clamped values', () => {
    const tensor = createTensor('t', 'float32', [2, 2], [1, 1e-10, 7e4, Number.POSITIVE_INFINITY]);
    tensor.docString = 'weights';
    const { tensor: half, valuesClamped } = toFloat16Tensor(tensor, { minPositive: 5.96e-8, maxFinite: 65504 });
    expect(valuesClamped).toBe(2);
    expect(half).toMatchObject({ name: 't', dims: [2, 2], dataType: DataType.FLOAT16, docString: 'weights' });
    expect(Array.from(tensorToTypedArray(half) as Float32Array)).toEqual([1, 2 ** -24, 65504, Number.POSITIVE_INFINITY]);
  });

  test('toFloat16Tensor gives the same bits as converter-core float32ToFloat16Bits after clamping, over every exponent', () => {
    // Every sign and exponent with 64 mantissas each (ties, subnormals, NaN payloads, infinities included).
    const words = new Uint32Array(2 * 256 * 64);
    let next = 0;
    for (let sign = 0; sign < 2; sign += 1) {
      for (let exponent = 0; exponent < 256; exponent += 1) {
        for (let index = 0; index < 64; index += 1) {
          const mantissa = index < 8 ? [0, 1, 0x1000, 0x3000, 0x1fff, 0x2000, 0x7fffff, 0x400000][index]! : (Math.imul(index, 2654435761) >>> 9) & 0x7fffff;
          words[next++] = ((sign << 31) | (exponent << 23) | mantissa) >>> 0;
        }
      }
    }
    const values = new Float32Array(words.buffer);
    const clamp = { minPositive: 5.96e-8, maxFinite: 65504 };
    const { tensor, valuesClamped } = toFloat16Tensor(createTensor('w', 'float32', [values.length], values), clamp);
    let expectedClamped = 0;
    const expected = Array.from(values, (value) => {
      const magnitude = Math.abs(value);
      let result = value;
      if (magnitude > 0 && magnitude < clamp.minPositive) result = Math.sign(value) * clamp.minPositive;
      else if (magnitude > clamp.maxFinite && magnitude !== Number.POSITIVE_INFINITY) result = Math.sign(value) * clamp.maxFinite;
      // NaN is left alone and not counted (the per-value loop this replaced counted NaN !== NaN as a clamp).
      if (result !== value && !Number.isNaN(value)) expectedClamped += 1;
      return float32ToFloat16Bits(result);
    });
    const actual = new Uint16Array(tensorRawBytes(tensor)!.slice().buffer);
    expect(Array.from(actual)).toEqual(expected);
    expect(valuesClamped).toBe(expectedClamped);
    expect(valuesClamped).toBeGreaterThan(1000);
  });
});
