/**
 * Test support (not exported from the package): writes tiny, valid ONNX files by encoding the
 * protobuf wire format by hand, so validation and pipeline tests need no Python. Field numbers are
 * those of onnx.proto (https://github.com/onnx/onnx/blob/main/onnx/onnx.proto).
 */
import { writeFile } from 'node:fs/promises';

/** ONNX TensorProto.DataType numbers of the element types the tests use. */
export const ONNX_DATA_TYPE = { float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9, float16: 10, float64: 11 } as const;

export interface TestValueInfo {
  name: string;
  dtype: keyof typeof ONNX_DATA_TYPE;
  shape: Array<number | string>;
}

export interface TestInitializer {
  name: string;
  dtype: 'float32' | 'int64';
  shape: number[];
  values: number[];
}

export type TestAttribute = { name: string; int: number } | { name: string; ints: number[] } | { name: string; float: number };

export interface TestNode {
  opType: string;
  inputs: string[];
  outputs: string[];
  attributes?: TestAttribute[];
}

export interface TestModel {
  inputs: TestValueInfo[];
  outputs: TestValueInfo[];
  initializers?: TestInitializer[];
  nodes: TestNode[];
  /** @default 17 */
  opset?: number;
}

class Writer {
  private readonly chunks: number[] = [];
  varint(value: number | bigint): this {
    let remaining = BigInt.asUintN(64, BigInt(value));
    do {
      let byte = Number(remaining & 0x7fn);
      remaining >>= 7n;
      if (remaining !== 0n) byte |= 0x80;
      this.chunks.push(byte);
    } while (remaining !== 0n);
    return this;
  }
  tag(field: number, wireType: number): this {
    return this.varint((field << 3) | wireType);
  }
  uint(field: number, value: number): this {
    return this.tag(field, 0).varint(value);
  }
  bytes(field: number, value: Uint8Array): this {
    this.tag(field, 2).varint(value.length);
    for (const byte of value) this.chunks.push(byte);
    return this;
  }
  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }
  message(field: number, build: (writer: Writer) => void): this {
    const inner = new Writer();
    build(inner);
    return this.bytes(field, inner.finish());
  }
  float(field: number, value: number): this {
    this.tag(field, 5);
    const buffer = new Uint8Array(4);
    new DataView(buffer.buffer).setFloat32(0, value, true);
    for (const byte of buffer) this.chunks.push(byte);
    return this;
  }
  finish(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }
}

function writeValueInfo(writer: Writer, info: TestValueInfo): void {
  writer.string(1, info.name).message(2, (type) =>
    type.message(1, (tensor) =>
      tensor.uint(1, ONNX_DATA_TYPE[info.dtype]).message(2, (shape) => {
        for (const dimension of info.shape) {
          shape.message(1, (dim) => (typeof dimension === 'number' ? dim.uint(1, dimension) : dim.string(2, dimension)));
        }
      }),
    ),
  );
}

function writeInitializer(writer: Writer, initializer: TestInitializer): void {
  for (const dimension of initializer.shape) writer.uint(1, dimension);
  writer.uint(2, ONNX_DATA_TYPE[initializer.dtype]).string(8, initializer.name);
  const raw =
    initializer.dtype === 'float32'
      ? new Uint8Array(Float32Array.from(initializer.values).buffer)
      : new Uint8Array(BigInt64Array.from(initializer.values.map((value) => BigInt(value))).buffer);
  writer.bytes(9, raw);
}

/** Encodes a {@link TestModel} as ONNX ModelProto bytes (IR version 8). */
export function encodeTestOnnxModel(model: TestModel): Uint8Array {
  const writer = new Writer();
  writer.uint(1, 8).string(2, 'gpux-test').message(8, (opset) => opset.string(1, '').uint(2, model.opset ?? 17));
  writer.message(7, (graph) => {
    model.nodes.forEach((node, index) => {
      graph.message(1, (nodeWriter) => {
        for (const input of node.inputs) nodeWriter.string(1, input);
        for (const output of node.outputs) nodeWriter.string(2, output);
        nodeWriter.string(3, `${node.opType}_${index}`).string(4, node.opType);
        for (const attribute of node.attributes ?? []) {
          nodeWriter.message(5, (attributeWriter) => {
            attributeWriter.string(1, attribute.name);
            if ('int' in attribute) attributeWriter.uint(3, attribute.int).uint(20, 2);
            else if ('float' in attribute) attributeWriter.float(2, attribute.float).uint(20, 1);
            else {
              for (const value of attribute.ints) attributeWriter.uint(8, value);
              attributeWriter.uint(20, 7);
            }
          });
        }
      });
    });
    graph.string(2, 'test_graph');
    for (const initializer of model.initializers ?? []) graph.message(5, (tensor) => writeInitializer(tensor, initializer));
    for (const input of model.inputs) graph.message(11, (value) => writeValueInfo(value, input));
    for (const output of model.outputs) graph.message(12, (value) => writeValueInfo(value, output));
  });
  return writer.finish();
}

/** Writes a {@link TestModel} to `filePath`. */
export async function writeTestOnnxModel(filePath: string, model: TestModel): Promise<void> {
  await writeFile(filePath, encodeTestOnnxModel(model));
}

/** Weights of {@link linearModel}: y = x · W + b with x [batch_size, 4], W [4, 3], b [3]. */
export const LINEAR_WEIGHTS = [0.5, -1, 0.25, 2, 0, -0.5, 1.5, 0.75, -2, -0.25, 1, 0.125];
export const LINEAR_BIAS = [0.1, -0.2, 0.3];

/** y = MatMul(x, W) + b, with a dynamic `batch_size`, plus `logits` = y for argmax checks. */
export function linearModel(bias: number[] = LINEAR_BIAS): TestModel {
  return {
    inputs: [{ name: 'x', dtype: 'float32', shape: ['batch_size', 4] }],
    outputs: [{ name: 'logits', dtype: 'float32', shape: ['batch_size', 3] }],
    initializers: [
      { name: 'W', dtype: 'float32', shape: [4, 3], values: LINEAR_WEIGHTS },
      { name: 'b', dtype: 'float32', shape: [3], values: bias },
    ],
    nodes: [
      { opType: 'MatMul', inputs: ['x', 'W'], outputs: ['xw'] },
      { opType: 'Add', inputs: ['xw', 'b'], outputs: ['logits'] },
    ],
  };
}

/** Computes {@link linearModel}'s output in JavaScript (float64, rounded to float32). */
export function linearReference(x: Float32Array, batch: number): Float32Array {
  const result = new Float32Array(batch * 3);
  for (let row = 0; row < batch; row += 1) {
    for (let column = 0; column < 3; column += 1) {
      let sum = LINEAR_BIAS[column] as number;
      for (let inner = 0; inner < 4; inner += 1) sum += (x[row * 4 + inner] as number) * (LINEAR_WEIGHTS[inner * 3 + column] as number);
      result[row * 3 + column] = sum;
    }
  }
  return result;
}
