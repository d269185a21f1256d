/**
 * Static calibration: runs a copy of the model whose graph outputs include every activation to
 * quantize, over the calibration samples, and derives one [min, max] range per activation.
 */
import path from 'node:path';
import { loadOnnxModel, makeValueInfo, saveOnnxModel } from '@gpux/onnx';
import { entropyThreshold, percentileThreshold } from './calibration-thresholds';
import type { CalibrationMethod, QuantizationFeeds } from './quantization-options';
import { openSession, runFeeds } from './run-onnx-model';

/** Options of {@link calibrateActivations}. */
export interface CalibrateActivationsOptions {
  method: CalibrationMethod;
  /** @default 99.999 */
  percentile?: number;
  /** @default 2048 */
  bins?: number;
  /** Folder for the temporary model copy. */
  workDirectory: string;
  signal?: AbortSignal;
}

/** A calibrated range. */
export interface ActivationRange {
  min: number;
  max: number;
}

/**
 * Calibrates the named float activations on `samples`.
 *
 * @returns ranges by tensor name (names that produced no float values are absent).
 * @throws {RangeError} when `samples` is empty or `percentile` is outside (0, 100].
 * @example
 * ```ts
 * const ranges = await calibrateActivations('model.onnx', ['hidden'], samples, { method: 'entropy', workDirectory: tmp });
 * ```
 */
export async function calibrateActivations(modelPath: string, tensorNames: readonly string[], samples: readonly QuantizationFeeds[], options: CalibrateActivationsOptions): Promise<Map<string, ActivationRange>> {
  if (samples.length === 0) throw new RangeError('calibrateActivations: samples must hold at least one set of inputs.');
  const percentile = options.percentile ?? 99.999;
  if (!(percentile > 0 && percentile <= 100)) throw new RangeError(`calibrateActivations: percentile must be in (0, 100], got ${percentile}.`);
  const bins = options.bins ?? 2048;
  const model = await loadOnnxModel(modelPath);
  const graph = model.graph!;
  const existing = new Set(graph.output.map((value) => value.name ?? ''));
  for (const name of tensorNames) if (!existing.has(name)) graph.output.push(makeValueInfo(name, 'float32'));
  const copyPath = path.join(options.workDirectory, 'calibration-copy.onnx');
  await saveOnnxModel(model, copyPath, { externalData: 'auto', signal: options.signal });
  const session = await openSession(copyPath);
  const ranges = new Map<string, ActivationRange>();
  try {
    for (const sample of samples) {
      options.signal?.throwIfAborted();
      const outputs = await runFeeds(session, sample, [...tensorNames]);
      for (const [name, { values }] of outputs) {
        const range = ranges.get(name) ?? { min: Infinity, max: -Infinity };
        for (const value of values) {
          if (value < range.min) range.min = value;
          if (value > range.max) range.max = value;
        }
        ranges.set(name, range);
      }
    }
    if (options.method === 'minmax') return ranges;
    const histograms = new Map<string, Float64Array>();
    for (const sample of samples) {
      options.signal?.throwIfAborted();
      const outputs = await runFeeds(session, sample, [...tensorNames]);
      for (const [name, { values }] of outputs) {
        const range = ranges.get(name)!;
        const maxAbs = Math.max(Math.abs(range.min), Math.abs(range.max));
        if (maxAbs === 0) continue;
        const histogram = histograms.get(name) ?? new Float64Array(bins);
        for (const value of values) histogram[Math.min(bins - 1, Math.floor((Math.abs(value) / maxAbs) * bins))]! += 1;
        histograms.set(name, histogram);
      }
    }
    for (const [name, histogram] of histograms) {
      const range = ranges.get(name)!;
      const maxAbs = Math.max(Math.abs(range.min), Math.abs(range.max));
      const threshold = options.method === 'percentile' ? percentileThreshold(histogram, maxAbs, percentile) : entropyThreshold(histogram, maxAbs);
      ranges.set(name, { min: Math.max(range.min, -threshold), max: Math.min(range.max, threshold) });
    }
    return ranges;
  } finally {
    await session.release();
  }
}
