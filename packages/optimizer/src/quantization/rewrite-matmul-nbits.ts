/**
 * 4-bit weight-only quantization of MatMul into com.microsoft MatMulNBits. Layout (onnxruntime
 * docs/ContribOperators.md, com.microsoft.MatMulNBits, and its matmul_nbits_quantizer.py):
 * B is uint8 [N, n_blocks, block_size / 2] — column n's K values in blocks of `block_size`, two
 * 4-bit values per byte, the first in the low nibble; K is padded with zeros to whole blocks.
 * scales are float [N, n_blocks]. Asymmetric blocks add zero_points, uint8 [N, ceil(n_blocks / 2)],
 * packed the same way; symmetric blocks omit them (the op then uses 8).
 * Symmetric: scale = (value of largest magnitude) / -8, q = clamp(round(x / scale), -8, 7) + 8.
 * Asymmetric: range widened to contain 0, scale = (max - min) / 15, zp = clamp(round(-min / scale), 0, 15).
 */
import type { NodeProto } from '@gpux/onnx';
import { DataType } from '@gpux/onnx';
import { clamp, roundHalfToEven } from './quantization-math';
import type { QuantizationGraph } from './quantization-graph';

/** Settings of {@link rewriteMatMulNBits}. */
export interface NBitsSettings {
  blockSize: number;
  symmetric: boolean;
}

/** 4-bit blocks of one weight. */
export interface PackedNBitsWeight {
  packed: Uint8Array;
  scales: Float32Array;
  zeroPoints?: Uint8Array;
  blockCount: number;
}

/** Quantizes a [K, N] float weight into MatMulNBits's 4-bit layout. */
export function packMatMulNBitsWeight(values: Float32Array, rows: number, columns: number, settings: NBitsSettings): PackedNBitsWeight {
  const { blockSize, symmetric } = settings;
  const blockCount = Math.ceil(rows / blockSize);
  const blobSize = blockSize / 2;
  const packed = new Uint8Array(columns * blockCount * blobSize);
  const scales = new Float32Array(columns * blockCount);
  const zeroBytes = Math.ceil(blockCount / 2);
  const zeroPoints = symmetric ? undefined : new Uint8Array(columns * zeroBytes);
  const block = new Float32Array(blockSize);
  for (let column = 0; column < columns; column += 1) {
    for (let blockIndex = 0; blockIndex < blockCount; blockIndex += 1) {
      block.fill(0);
      const start = blockIndex * blockSize;
      for (let offset = 0; offset < blockSize && start + offset < rows; offset += 1) block[offset] = values[(start + offset) * columns + column]!;
      let min = 0;
      let max = 0;
      for (const value of block) {
        if (value < min) min = value;
        if (value > max) max = value;
      }
      let scale: number;
      let zeroPoint: number;
      if (symmetric) {
        const extreme = Math.abs(max) > Math.abs(min) ? max : min;
        scale = Math.fround(extreme / -8);
        zeroPoint = 8;
      } else {
        scale = Math.fround((max - min) / 15);
        zeroPoint = scale === 0 ? 8 : clamp(roundHalfToEven(-min / scale), 0, 15);
      }
      scales[column * blockCount + blockIndex] = scale;
      if (zeroPoints !== undefined) zeroPoints[column * zeroBytes + (blockIndex >> 1)]! |= zeroPoint << ((blockIndex & 1) * 4);
      const base = (column * blockCount + blockIndex) * blobSize;
      for (let offset = 0; offset < blockSize; offset += 1) {
        const quantized = scale === 0 ? zeroPoint : clamp(roundHalfToEven(block[offset]! / scale) + zeroPoint, 0, 15);
        packed[base + (offset >> 1)]! |= quantized << ((offset & 1) * 4);
      }
    }
  }
  return { packed, scales, zeroPoints, blockCount };
}

function transpose2d(values: Float32Array, rows: number, columns: number): Float32Array {
  const result = new Float32Array(values.length);
  for (let row = 0; row < rows; row += 1) for (let column = 0; column < columns; column += 1) result[column * rows + row] = values[row * columns + column]!;
  return result;
}

/** Appends `MatMulNBits(A, B_q4, scales[, zero_points])` in place of a MatMul with a [K, N] constant weight. */
export function rewriteMatMulNBits(graph: QuantizationGraph, node: NodeProto, settings: NBitsSettings): void {
  const source = graph.weightSource(node.input[1])!;
  const tensor = source.tensor;
  const weightName = tensor.name ?? node.input[1]!;
  const [storedRows, storedColumns] = tensor.dims.map(Number) as [number, number];
  const [rows, columns] = source.transposed ? [storedColumns, storedRows] : [storedRows, storedColumns];
  const names = graph.once(`nbits|${weightName}|${String(source.transposed)}|${settings.blockSize}|${String(settings.symmetric)}`, () => {
    const stored = graph.readFloat(tensor);
    const values = source.transposed ? transpose2d(stored, storedRows, storedColumns) : stored;
    const weight = packMatMulNBitsWeight(values, rows, columns, settings);
    const inputs = [
      graph.addInitializer(`${weightName}_Q4`, DataType.UINT8, [columns, weight.blockCount, settings.blockSize / 2], weight.packed),
      graph.addInitializer(`${weightName}_scales`, DataType.FLOAT32, [columns, weight.blockCount], weight.scales),
    ];
    if (weight.zeroPoints !== undefined) inputs.push(graph.addInitializer(`${weightName}_zero_points`, DataType.UINT8, [columns, Math.ceil(weight.blockCount / 2)], weight.zeroPoints));
    return inputs;
  });
  graph.node('MatMulNBits', [node.input[0]!, ...names], [...node.output], `${node.name ?? node.output[0]!}_Q4`, { K: rows, N: columns, bits: 4, block_size: settings.blockSize }, 'com.microsoft');
}
