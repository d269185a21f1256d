/** Runs the graph passes to a fixpoint. */
import type { ModelProto } from '@gpux/onnx';
import { deduplicateInitializers } from './deduplicate-initializers';
import { eliminateDropout } from './eliminate-dropout';
import { eliminateIdentity } from './eliminate-identity';
import { foldConstants } from './fold-constants';
import { mainGraph } from './graph-names';
import type { PassReport } from './pass-report';
import { removeUnusedNodes } from './remove-unused-nodes';
import { sortNodesTopologically } from './sort-nodes-topologically';

/** The names of the built-in passes, in the order they run. */
export type GraphPassName =
  | 'sort-nodes-topologically'
  | 'eliminate-identity'
  | 'eliminate-dropout'
  | 'fold-constants'
  | 'deduplicate-initializers'
  | 'remove-unused-nodes';

/** Every built-in pass, in the default order. */
export const GRAPH_PASS_NAMES: readonly GraphPassName[] = [
  'sort-nodes-topologically',
  'eliminate-identity',
  'eliminate-dropout',
  'fold-constants',
  'deduplicate-initializers',
  'remove-unused-nodes',
];

/** Options of {@link optimizeGraph}. */
export interface OptimizeGraphOptions {
  /** Which passes to run (always in the default order). @default every pass */
  passes?: readonly GraphPassName[];
  /** Rounds of all passes at most; stops earlier when a round changes nothing. @default 10 */
  maxIterations?: number;
  /** Let remove-unused-nodes drop real model inputs that no output uses. @default false */
  removeUnusedInputs?: boolean;
}

/** What {@link optimizeGraph} did. */
export interface OptimizeGraphResult {
  /** One report per pass per round, in order. */
  reports: PassReport[];
  /** Rounds run. */
  iterations: number;
  /** False when `maxIterations` stopped the rounds while passes still changed the graph. */
  converged: boolean;
}

/**
 * Runs the passes in rounds until a round changes nothing (or `maxIterations` is reached),
 * editing the model in place. Names read by If/Loop/Scan bodies are never removed.
 *
 * @throws {TypeError} when `model` has no graph; {@link RangeError} for a bad option.
 * @throws {ConversionError} INVALID_MODEL_FILE when the graph has a cycle.
 * @example
 * ```ts
 * const model = await loadOnnxModel('model.onnx');
 * const { reports } = optimizeGraph(model, { maxIterations: 5 });
 * await saveOnnxModel(model, 'model_optimized.onnx');
 * ```
 */
export function optimizeGraph(model: ModelProto, options: OptimizeGraphOptions = {}): OptimizeGraphResult {
  mainGraph(model, 'optimizeGraph');
  const maxIterations = options.maxIterations ?? 10;
  if (!Number.isInteger(maxIterations) || maxIterations < 1) throw new RangeError(`optimizeGraph: parameter "maxIterations" must be a positive integer, received ${String(maxIterations)}.`);
  const selected = new Set(options.passes ?? GRAPH_PASS_NAMES);
  for (const name of selected) {
    if (!GRAPH_PASS_NAMES.includes(name)) throw new RangeError(`optimizeGraph: unknown pass "${String(name)}" in parameter "passes"; known passes: ${GRAPH_PASS_NAMES.join(', ')}.`);
  }
  const run: Record<GraphPassName, () => PassReport> = {
    'sort-nodes-topologically': () => sortNodesTopologically(model),
    'eliminate-identity': () => eliminateIdentity(model),
    'eliminate-dropout': () => eliminateDropout(model),
    'fold-constants': () => foldConstants(model),
    'deduplicate-initializers': () => deduplicateInitializers(model),
    'remove-unused-nodes': () => removeUnusedNodes(model, { removeUnusedInputs: options.removeUnusedInputs ?? false }),
  };
  const reports: PassReport[] = [];
  for (let iteration = 1; iteration <= maxIterations; iteration += 1) {
    let changed = false;
    for (const name of GRAPH_PASS_NAMES) {
      if (!selected.has(name)) continue;
      const report = run[name]();
      reports.push(report);
      // Sorting only matters once the other passes settle; its moves alone do not need another round.
      if (report.changed && name !== 'sort-nodes-topologically') changed = true;
    }
    if (!changed) return { reports, iterations: iteration, converged: true };
  }
  return { reports, iterations: maxIterations, converged: false };
}

/** Sums the counts of many reports by pass and count name (`fold-constants.nodesFolded`). */
export function summarizePassReports(reports: readonly PassReport[]): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const report of reports) {
    for (const [key, value] of Object.entries(report.counts)) {
      const name = `${report.pass}.${key}`;
      totals[name] = (totals[name] ?? 0) + value;
    }
  }
  return totals;
}
