/** The pipeline stage of graph optimization. */
import type { ModelVariantStage, ProgressEvent, VariantResult } from '@gpux/converter-core';
import { onnxRuntimeVersion } from '@gpux/converter-core';
import { levelTolerances, parseOptimizationLevel, type OptimizationLevel } from '../levels/optimization-level';
import { optimizeModelIter, type OptimizeModelOptions } from '../optimize-model';
import type { TargetRuntime } from '../target/check-target-compatibility';
import { forwardEvents } from './forward-events';

/** Options of {@link createOptimizationStage}. */
export interface OptimizationStageOptions extends Pick<OptimizeModelOptions, 'onnxRuntimeBasic' | 'graph' | 'float16' | 'externalData' | 'tolerances'> {
  /** `'O1'`..`'O4'` (or 1..4). */
  level: OptimizationLevel | number;
  target?: TargetRuntime;
  /**
   * Appended to the exported file's name. Optimum's ORTOptimizer writes `model_optimized.onnx`;
   * use a per-level suffix such as `'_O3'` when several levels are kept side by side.
   * @default '_optimized'
   */
  fileSuffix?: string;
  /** Also validate inside the stage (the pipeline validates every variant with `tolerances` anyway). @default false */
  validateInStage?: boolean;
}

/**
 * Creates the `ModelVariantStage` that optimizes each exported file at a level (phase
 * `'optimize'`, file `<name>_optimized.onnx`). The pipeline validates the result against the
 * export with the level's tolerances.
 *
 * @throws {RangeError} for an unknown level.
 * @example
 * ```ts
 * import { convert } from '@gpux/converter-core';
 * await convert({ source: './bert', outputDirectory: './out', variants: [createOptimizationStage({ level: 'O2' })] });
 * ```
 */
export function createOptimizationStage(options: OptimizationStageOptions): ModelVariantStage {
  const level = parseOptimizationLevel(options.level);
  const tolerances = options.tolerances ?? levelTolerances(level);
  const settings: Record<string, unknown> = { level };
  if (options.target !== undefined) settings.target = { ...options.target };
  if (options.onnxRuntimeBasic !== undefined) settings.onnxRuntimeBasic = options.onnxRuntimeBasic;
  if (options.graph !== undefined) settings.graph = { ...options.graph };
  if (options.float16 !== undefined) settings.float16 = { ...options.float16 };
  return {
    name: `optimize-${level}`,
    phase: 'optimize',
    fileSuffix: options.fileSuffix ?? '_optimized',
    tolerances,
    options: settings,
    async *run({ modelPath, outputPath, workDirectory, signal }): AsyncGenerator<ProgressEvent, VariantResult, void> {
      const result = yield* forwardEvents(
        optimizeModelIter(modelPath, outputPath, {
          level,
          validate: options.validateInStage ?? false,
          tolerances,
          workDirectory,
          target: options.target,
          onnxRuntimeBasic: options.onnxRuntimeBasic,
          graph: options.graph,
          float16: options.float16,
          externalData: options.externalData,
          signal,
        }),
      );
      const details: Record<string, unknown> = { level, nodeCount: result.nodeCount, passTotals: result.passTotals };
      if (result.fusionReport !== undefined) details.fusions = result.fusionReport;
      if (result.float16Report !== undefined) details.float16 = result.float16Report;
      if (result.target !== undefined) details.target = { applied: result.target.applied, unfixable: result.target.unfixable };
      return {
        notes: [`${level}: ${result.nodeCount.before} -> ${result.nodeCount.after} nodes.`, ...result.notes],
        toolVersions: toolVersions(),
        details,
      };
    },
  };
}

/** The onnxruntime-node version used (its 'basic' pass), when installed. */
export function toolVersions(): Record<string, string> {
  const version = onnxRuntimeVersion();
  return version === undefined ? {} : { 'onnxruntime-node': version };
}
