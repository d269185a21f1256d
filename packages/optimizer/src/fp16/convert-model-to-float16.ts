/** convertModelToFloat16 / convertModelToFloat16Iter: float16 conversion from file to file. */
import path from 'node:path';
import type { ProgressCallback, ProgressEvent } from '@gpux/converter-core';
import { ConversionError, drainEvents } from '@gpux/converter-core';
import { loadOnnxModel, saveOnnxModelIter } from '@gpux/onnx';
import { optimizeGraph } from '../passes/optimize-graph';
import { convertToFloat16, type ConvertToFloat16Options, type Float16Report } from './convert-to-float16';
import { resolveExternalDataMode } from './resolve-external-data-mode';

/** Options of {@link convertModelToFloat16}. */
export interface ConvertModelToFloat16Options extends Omit<ConvertToFloat16Options, 'baseDirectory'> {
  /** Run the graph passes (dead nodes, Identity, constant folding, ...) before converting. @default false */
  optimizeGraphFirst?: boolean;
  /**
   * External data of the output. `'auto'`: external when the input had external data or the
   * output would exceed 2 GiB; `true`/`false` as `saveOnnxModel`. @default 'auto'
   */
  externalData?: 'auto' | boolean;
  signal?: AbortSignal;
}

/** What {@link convertModelToFloat16} wrote. */
export interface ConvertModelToFloat16Result {
  outputPath: string;
  report: Float16Report;
  /** Bytes written (model file plus external data). */
  bytes: number;
  externalDataPath?: string;
  notes: string[];
}

/**
 * Converts an ONNX file to float16 and saves it, as an async generator of progress events (phase
 * `'quantize'`, label `'fp16'`). Weights are converted one at a time and read in chunks, so a model
 * with external data (or over 2 GiB) never has its float32 weights in memory: only the float16
 * results, half their size, are held until the streamed save.
 *
 * @throws {TypeError} / {@link RangeError} for bad paths or clamp values.
 * @throws {ConversionError} INVALID_MODEL_FILE for a missing, corrupt or truncated input (or
 *   external data); CANCELLED when `signal` aborts (nothing is left at `outputPath`).
 */
export async function* convertModelToFloat16Iter(inputPath: string, outputPath: string, options: ConvertModelToFloat16Options = {}): AsyncGenerator<ProgressEvent, ConvertModelToFloat16Result, void> {
  for (const [name, value] of [['inputPath', inputPath], ['outputPath', outputPath]] as const) {
    if (typeof value !== 'string' || value === '') throw new TypeError(`convertModelToFloat16: parameter "${name}" must be a non-empty string, received ${JSON.stringify(value)}.`);
  }
  if (path.resolve(inputPath) === path.resolve(outputPath)) throw new RangeError(`convertModelToFloat16: "outputPath" must differ from "inputPath" (${inputPath}).`);
  const { optimizeGraphFirst = false, externalData, signal, ...conversion } = options;
  const started = Date.now();
  const throwIfCancelled = (): void => {
    if (signal?.aborted === true) throw new ConversionError('CANCELLED', `Converting ${inputPath} to float16 was cancelled; no output was left.`, { cause: signal.reason });
  };
  throwIfCancelled();
  yield { type: 'phase-start', phase: 'quantize', label: 'fp16' };
  const model = await loadOnnxModel(inputPath);
  const saveMode = resolveExternalDataMode(model, externalData);
  const notes: string[] = [];
  if (optimizeGraphFirst) {
    const { reports } = optimizeGraph(model);
    const removed = reports.reduce((sum, report) => sum + (report.counts.nodesRemoved ?? 0) + (report.counts.nodesFolded ?? 0), 0);
    if (removed > 0) notes.push(`Graph passes removed or folded ${removed} node(s) before the conversion.`);
  }
  throwIfCancelled();
  const report = convertToFloat16(model, conversion);
  notes.push(`${report.nodesInFloat16} node(s) in float16, ${report.initializersConverted} initializer(s) converted, ${report.castsInserted} Cast(s) inserted and ${report.castsRemoved} redundant Cast(s) removed.`, ...report.notes);
  const saved = yield* saveOnnxModelIter(model, outputPath, { externalData: saveMode, signal });
  yield { type: 'phase-end', phase: 'quantize', label: 'fp16', durationMs: Date.now() - started };
  return {
    outputPath: saved.path,
    report,
    bytes: saved.bytes + saved.externalDataBytes,
    ...(saved.externalDataPath === undefined ? {} : { externalDataPath: saved.externalDataPath }),
    notes,
  };
}

/**
 * Awaitable form of {@link convertModelToFloat16Iter}.
 *
 * @throws as {@link convertModelToFloat16Iter}.
 * @example
 * ```ts
 * const { report, externalDataPath } = await convertModelToFloat16('onnx/model.onnx', 'onnx/model_fp16.onnx');
 * console.log(report.initializersConverted, externalDataPath); // external data kept when the input had it
 * ```
 */
export function convertModelToFloat16(inputPath: string, outputPath: string, options: ConvertModelToFloat16Options & { onProgress?: ProgressCallback } = {}): Promise<ConvertModelToFloat16Result> {
  const { onProgress, ...rest } = options;
  return drainEvents(convertModelToFloat16Iter(inputPath, outputPath, rest), onProgress);
}
