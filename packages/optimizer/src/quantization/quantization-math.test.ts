import { computeScaleZeroPoint, integerRange, roundHalfToEven } from './quantization-math';
import { dequantizeWeight, quantizeWeight } from './quantize-weight';
import { packMatMulNBitsWeight } from './rewrite-matmul-nbits';
import { entropyThreshold, percentileThreshold } from './calibration-thresholds';

describe('quantization math', () => {
  it('rounds half to even like numpy', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, 2.6].map((value) => roundHalfToEven(value) + 0)).toEqual([0, 2, 2, 0, -2, -2, 2, 3]);
  });

  it('computes asymmetric uint8 and symmetric int8 parameters', () => {
    const asymmetric = computeScaleZeroPoint(-1, 2, integerRange('uint8', false, false), false);
    expect(asymmetric.scale).toBeCloseTo(3 / 255, 7);
    expect(asymmetric.zeroPoint).toBe(85);
    const symmetric = computeScaleZeroPoint(-0.5, 2, integerRange('int8', false, true), true);
    expect(symmetric.scale).toBeCloseTo(4 / 254, 7);
    expect(symmetric.zeroPoint).toBe(0);
    // A positive-only range is widened to contain 0.
    expect(computeScaleZeroPoint(1, 3, integerRange('uint8', false, false), false).zeroPoint).toBe(0);
    // An all-zero range gives scale 1.
    expect(computeScaleZeroPoint(0, 0, integerRange('uint8', false, false), false)).toEqual({ scale: 1, zeroPoint: 0 });
  });

  it('keeps reduceRange weights within 7 bits', () => {
    const values = Float32Array.from({ length: 200 }, (_, index) => Math.sin(index) * 3);
    const signed = quantizeWeight(values, [10, 20], { type: 'int8', reduceRange: true });
    expect(Math.min(...signed.values)).toBe(-64);
    expect(Math.max(...signed.values)).toBeLessThanOrEqual(64);
    const unsigned = quantizeWeight(values, [10, 20], { type: 'uint8', reduceRange: true });
    expect(Math.max(...unsigned.values)).toBe(127);
    expect(Math.min(...unsigned.values)).toBe(0);
    const full = quantizeWeight(values, [10, 20], { type: 'int8', reduceRange: false });
    expect(Math.max(...full.values.map(Math.abs))).toBe(127);
  });

  it('per-channel quantization has lower error than per-tensor on columns of very different ranges', () => {
    const rows = 16;
    const columns = 8;
    const values = Float32Array.from({ length: rows * columns }, (_, index) => Math.cos(index * 1.7) * 10 ** ((index % columns) - 4));
    const error = (perChannel: boolean): number => {
      const quantized = quantizeWeight(values, [rows, columns], { type: 'int8', reduceRange: false, ...(perChannel ? { axis: 1 } : {}) });
      const restored = dequantizeWeight(quantized, [rows, columns]);
      let worst = 0;
      for (let index = 0; index < values.length; index += 1) worst = Math.max(worst, Math.abs(restored[index]! - values[index]!) / (10 ** ((index % columns) - 4)));
      return worst;
    };
    expect(error(true)).toBeLessThan(0.01);
    expect(error(false)).toBeGreaterThan(0.5);
  });

  it('packs 4-bit blocks with the first value in the low nibble and pads K to whole blocks', () => {
    // K = 40 with block 32 -> 2 blocks per column; one column.
    const values = Float32Array.from({ length: 40 }, (_, index) => (index === 0 ? -8 : index === 1 ? 4 : 0));
    const packed = packMatMulNBitsWeight(values, 40, 1, { blockSize: 32, symmetric: true });
    expect(packed.blockCount).toBe(2);
    expect(packed.packed.length).toBe(2 * 16);
    expect(packed.scales[0]).toBe(1); // -8 / -8
    // -8 / 1 = -8 -> 0 (+8); 4 / 1 -> 12: low nibble 0, high nibble 12.
    expect(packed.packed[0]).toBe(0xc0);
    // Zeros map to 8 in both nibbles.
    expect(packed.packed[1]).toBe(0x88);
    const asymmetric = packMatMulNBitsWeight(values, 40, 1, { blockSize: 32, symmetric: false });
    expect(asymmetric.zeroPoints!.length).toBe(1);
    // Block 0: range [-8, 4] -> scale 12/15, zero point round(8 / 0.8) = 10; block 1 is all zeros -> 8.
    expect(asymmetric.zeroPoints![0]).toBe(10 | (8 << 4));
  });

  it('percentile and entropy thresholds clip a long tail', () => {
    const histogram = new Float64Array(2048);
    for (let index = 0; index < 200; index += 1) histogram[index] = 1000 - index * 4;
    histogram[2047] = 1;
    expect(percentileThreshold(histogram, 2048, 100)).toBe(2048);
    expect(percentileThreshold(histogram, 2048, 99.99)).toBeLessThanOrEqual(200);
    const threshold = entropyThreshold(histogram, 2048);
    expect(threshold).toBeGreaterThanOrEqual(128);
    expect(threshold).toBeLessThan(400);
  });
});
