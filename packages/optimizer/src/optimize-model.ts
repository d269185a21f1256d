/** Optimizes an ONNX file at a level, saves it, and validates it against the input. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ProgressCallback, ProgressEvent, ValidationReport, ValidationTolerances } from '@gpux/converter-core';
import { compareOnnxModelsIter, drainEvents } from '@gpux/converter-core';
import { loadOnnxModel, saveOnnxModelIter } from '@gpux/onnx';
import type { ConvertToFloat16Options, Float16Report } from './fp16/convert-to-float16';
import { resolveExternalDataMode } from './fp16/resolve-external-data-mode';
import type { FusionReport } from './fusions/fusion-report';
import { applyOptimizationLevel } from './levels/apply-optimization-level';
import { levelTolerances, parseOptimizationLevel, type OptimizationLevel } from './levels/optimization-level';
import { summarizePassReports, type OptimizeGraphOptions } from './passes/optimize-graph';
import type { PassReport } from './passes/pass-report';
import type { TargetRuntime } from './target/check-target-compatibility';
import { fixForTarget, type FixForTargetResult } from './target/fix-for-target';

/** Options of {@link optimizeModel}. */
export interface OptimizeModelOptions {
  /** `'O0'`..`'O4'` (or 0..4). @default 'O1' */
  level?: OptimizationLevel | number;
  /** Check the result against a runtime and fix what can be fixed (e.g. lower the IR version). */
  target?: TargetRuntime;
  /** Compare the optimized model with the input in onnxruntime-node; a failure throws and leaves no output. @default true */
  validate?: boolean;
  /** Tolerances of the validation. @default per level (see `levelTolerances`) */
  tolerances?: ValidationTolerances;
  /** Use onnxruntime's 'basic' rewrites at O1+ when they stay portable. @default true */
  onnxRuntimeBasic?: boolean;
  /** Options of the graph passes. */
  graph?: OptimizeGraphOptions;
  /** Options of the float16 conversion (O4). */
  float16?: ConvertToFloat16Options;
  /** External data of the output: see `saveOnnxModel`. @default 'auto' (external when the input had it or above 2 GiB) */
  externalData?: 'auto' | boolean;
  /** Scratch folder (a temporary one is made and removed otherwise). */
  workDirectory?: string;
  signal?: AbortSignal;
}

/** What {@link optimizeModel} did. */
export interface OptimizeModelResult {
  outputPath: string;
  level: OptimizationLevel;
  /** Node counts of the main graph before and after. */
  nodeCount: { before: number; after: number };
  /** Every pass report, in order. */
  passReports: PassReport[];
  /** Counts summed over the pass reports (`fold-constants.nodesFolded`, ...). */
  passTotals: Record<string, number>;
  fusionReport?: FusionReport;
  float16Report?: Float16Report;
  target?: FixForTargetResult;
  /** The comparison with the input model (absent with `validate: false`). */
  validation?: ValidationReport;
  /** Bytes written (model file plus external data). */
  bytes: number;
  externalDataPath?: string;
  notes: string[];
}

/**
 * Loads `inputPath`, applies the optimization level (and the target's fixes), saves the result to
 * `outputPath` (atomically; external data beside it when needed) and validates it against the
 * input with `compareOnnxModels`. Events use phase `'optimize'` (validation: `'validate'`).
 *
 * @throws ConversionError `INVALID_MODEL_FILE` for a missing, corrupt or truncated input;
 *   `VALIDATION_FAILED` when the result differs beyond the tolerances (no output is left);
 *   `CANCELLED`; `RUNTIME_MISSING` without onnxruntime-node (validation and O1's 'basic' pass).
 * @throws {TypeError} / {@link RangeError} for bad arguments.
 * @example
 * ```ts
 * const result = await optimizeModel('model.onnx', 'model_optimized.onnx', { level: 'O2' });
 * console.log(result.nodeCount, result.validation?.passed);
 * ```
 */
export async function* optimizeModelIter(inputPath: string, outputPath: string, options: OptimizeModelOptions = {}): AsyncGenerator<ProgressEvent, OptimizeModelResult, void> {
  for (const [name, value] of [['inputPath', inputPath], ['outputPath', outputPath]] as const) {
    if (typeof value !== 'string' || value === '') throw new TypeError(`optimizeModel: parameter "${name}" must be a non-empty string, received ${JSON.stringify(value)}.`);
  }
  if (path.resolve(inputPath) === path.resolve(outputPath)) throw new RangeError(`optimizeModel: "outputPath" must differ from "inputPath" (${inputPath}); the input is the validation reference.`);
  const level = parseOptimizationLevel(options.level ?? 'O1');
  const { signal } = options;
  const started = Date.now();
  yield { type: 'phase-start', phase: 'optimize', label: level };
  const ownWorkDirectory = options.workDirectory === undefined ? await mkdtemp(path.join(os.tmpdir(), 'gpux-optimize-')) : undefined;
  const workDirectory = options.workDirectory ?? ownWorkDirectory!;
  try {
    const model = await loadOnnxModel(inputPath);
    const before = model.graph?.node.length ?? 0;
    // Decided before the rewrite: O4 replaces every external float32 weight by an in-memory float16 one.
    const externalData = resolveExternalDataMode(model, options.externalData);
    const applied = await applyOptimizationLevel(model, {
      level,
      workDirectory,
      onnxRuntimeBasic: options.onnxRuntimeBasic,
      graph: options.graph,
      float16: options.float16,
      signal,
    });
    const optimized = applied.model;
    const result: OptimizeModelResult = {
      outputPath: path.resolve(outputPath),
      level,
      nodeCount: { before, after: 0 },
      passReports: applied.passReports,
      passTotals: summarizePassReports(applied.passReports),
      bytes: 0,
      notes: [...applied.notes],
    };
    if (applied.fusionReport !== undefined) result.fusionReport = applied.fusionReport;
    if (applied.float16Report !== undefined) result.float16Report = applied.float16Report;
    if (options.target !== undefined) {
      result.target = fixForTarget(optimized, options.target);
      result.notes.push(...result.target.applied, ...result.target.unfixable);
    }
    result.nodeCount.after = optimized.graph?.node.length ?? 0;
    const saved = yield* saveOnnxModelIter(optimized, outputPath, { externalData, signal });
    result.bytes = saved.bytes + saved.externalDataBytes;
    if (saved.externalDataPath !== undefined) result.externalDataPath = saved.externalDataPath;
    if (options.validate ?? true) {
      try {
        result.validation = yield* compareOnnxModelsIter({
          referenceModelPath: inputPath,
          candidateModelPath: outputPath,
          tolerances: options.tolerances ?? levelTolerances(level),
          signal,
        });
      } catch (error) {
        await removeOutput(outputPath, saved.externalDataPath);
        throw error;
      }
    }
    yield { type: 'phase-end', phase: 'optimize', label: level, durationMs: Date.now() - started };
    return result;
  } finally {
    if (ownWorkDirectory !== undefined) await rm(ownWorkDirectory, { recursive: true, force: true });
  }
}

async function removeOutput(outputPath: string, externalDataPath: string | undefined): Promise<void> {
  await rm(outputPath, { force: true });
  if (externalDataPath !== undefined) await rm(externalDataPath, { force: true });
}

/**
 * Awaitable form of {@link optimizeModelIter}.
 *
 * @throws as {@link optimizeModelIter}.
 * @example
 * ```ts
 * await optimizeModel('model.onnx', 'model_O4.onnx', { level: 'O4', onProgress: (event) => console.log(event) });
 * ```
 */
export function optimizeModel(inputPath: string, outputPath: string, options: OptimizeModelOptions & { onProgress?: ProgressCallback } = {}): Promise<OptimizeModelResult> {
  return drainEvents(optimizeModelIter(inputPath, outputPath, options), options.onProgress);
}
