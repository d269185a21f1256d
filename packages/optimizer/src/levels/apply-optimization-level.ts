/** Applies an optimization level to a loaded model. */
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ModelProto } from '@gpux/onnx';
import { ConversionError } from '@gpux/converter-core';
import { isExternalTensor, serializeOnnxModel } from '@gpux/onnx';
import { applyTransformerFusions } from '../fusions/apply-transformer-fusions';
import type { FusionReport } from '../fusions/fusion-report';
import { convertToFloat16, type ConvertToFloat16Options, type Float16Report } from '../fp16/convert-to-float16';
import { optimizeGraph, type OptimizeGraphOptions } from '../passes/optimize-graph';
import type { PassReport } from '../passes/pass-report';
import { runOnnxRuntimeBasic } from './onnxruntime-basic-optimization';
import { levelAtLeast, type OptimizationLevel } from './optimization-level';

/** Options of {@link applyOptimizationLevel}. */
export interface ApplyOptimizationLevelOptions {
  level: OptimizationLevel;
  /** Scratch folder for onnxruntime's input and output files; without it the 'basic' pass is skipped. */
  workDirectory?: string;
  /**
   * Also apply onnxruntime's 'basic' rewrites at O1 and above (skipped for models with external
   * data, which onnxruntime would write inline). @default true
   */
  onnxRuntimeBasic?: boolean;
  /** Options of the graph passes. */
  graph?: OptimizeGraphOptions;
  /** Options of the float16 conversion at O4. */
  float16?: ConvertToFloat16Options;
  signal?: AbortSignal;
}

/** What {@link applyOptimizationLevel} did. */
export interface LevelResult {
  /** The optimized model (the input object, or onnxruntime's rewrite of it). */
  model: ModelProto;
  passReports: PassReport[];
  /** The transformer fusions' report (O2 and above). */
  fusionReport?: FusionReport;
  float16Report?: Float16Report;
  notes: string[];
}

function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new ConversionError('CANCELLED', 'The optimization was cancelled.', { cause: signal.reason });
}

/**
 * Runs the level's steps: O1 graph passes (+ onnxruntime 'basic' when portable, then the passes
 * again), O2 transformer fusions, O3 with approximate GELU, O4 float16 conversion.
 *
 * @throws ConversionError `CANCELLED`, `INVALID_MODEL_FILE`, `RUNTIME_MISSING`.
 */
export async function applyOptimizationLevel(model: ModelProto, options: ApplyOptimizationLevelOptions): Promise<LevelResult> {
  const { level, signal } = options;
  const result: LevelResult = { model, passReports: [], notes: [] };
  if (level === 'O0') return result;
  throwIfCancelled(signal);
  result.passReports.push(...optimizeGraph(model, options.graph).reports);
  const hasExternalData = model.graph?.initializer.some(isExternalTensor) ?? false;
  if (options.onnxRuntimeBasic === false) {
    result.notes.push("onnxruntime's 'basic' pass was not requested.");
  } else if (options.workDirectory === undefined) {
    result.notes.push("Skipped onnxruntime's 'basic' pass: no work directory was given.");
  } else if (hasExternalData) {
    result.notes.push("Skipped onnxruntime's 'basic' pass: the model keeps weights in external data, which onnxruntime would write inline.");
  } else {
    throwIfCancelled(signal);
    const inputPath = path.join(options.workDirectory, `o1-input-${process.pid}-${Date.now()}.onnx`);
    await writeFile(inputPath, serializeOnnxModel(model));
    const basic = await runOnnxRuntimeBasic(inputPath, model, options.workDirectory).finally(() => rm(inputPath, { force: true }));
    if (basic.model === undefined) {
      result.notes.push(basic.note);
    } else {
      const cleanup = optimizeGraph(basic.model, options.graph).reports;
      const [before, after] = [model.graph?.node.length ?? 0, basic.model.graph?.node.length ?? 0];
      if (after <= before) {
        result.model = basic.model;
        result.passReports.push(...cleanup);
        result.notes.push(basic.note);
      } else {
        result.notes.push(`Discarded onnxruntime's 'basic' result: it has more nodes (${after}) than the TypeScript passes' result (${before}).`);
      }
    }
  }
  if (levelAtLeast(level, 'O2')) {
    throwIfCancelled(signal);
    result.fusionReport = applyTransformerFusions(result.model, { approximateGelu: levelAtLeast(level, 'O3') });
    result.notes.push(...result.fusionReport.notes);
    const fused = Object.entries(result.fusionReport.fused).filter(([name]) => name !== 'nodesRemoved');
    result.notes.push(fused.length === 0 ? 'Transformer fusions: nothing matched.' : `Transformer fusions: ${fused.map(([name, count]) => `${count} ${name}`).join(', ')}.`);
    result.passReports.push(...optimizeGraph(result.model, options.graph).reports);
  }
  if (level === 'O4') {
    throwIfCancelled(signal);
    result.float16Report = convertToFloat16(result.model, options.float16);
    result.notes.push(...result.float16Report.notes);
  }
  return result;
}
