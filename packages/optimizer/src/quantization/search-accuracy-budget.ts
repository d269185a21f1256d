/**
 * The accuracy-budget search: which quantized nodes to put back to float so that a variant fits.
 * Each node's sensitivity is the accuracy loss of a variant in which only that node is quantized;
 * the most sensitive nodes go back to float first until the full variant fits, then each of them is
 * tried quantized again (least sensitive first) and stays quantized when the variant still fits.
 */
import type { ProgressEvent } from '@gpux/converter-core';
import { ConversionError } from '@gpux/converter-core';
import { accuracyLoss, budgetViolations } from './measure-variant-accuracy';
import type { AccuracyBudget, VariantAccuracy } from './quantization-options';

/** Runs one trial: quantize `only` (all selected nodes when undefined) except `keepInFloat`. */
export type BudgetTrial = (keepInFloat: ReadonlySet<string>, only?: ReadonlySet<string>) => Promise<VariantAccuracy>;

/** What the search found. */
export interface BudgetSearchResult {
  keepInFloat: string[];
  accuracy: VariantAccuracy;
  /** Loss of each node quantized alone, most sensitive first. */
  sensitivity: Array<{ name: string; loss: number }>;
}

/**
 * Finds a small set of nodes to keep in float so that the variant fits `budget`.
 *
 * @throws {ConversionError} VALIDATION_FAILED when `maxKept` nodes in float are not enough.
 */
export async function* searchAccuracyBudget(
  quantizedNodes: readonly string[],
  budget: AccuracyBudget,
  trial: BudgetTrial,
  maxKept: number,
  signal?: AbortSignal,
): AsyncGenerator<ProgressEvent, BudgetSearchResult, void> {
  const sensitivity: Array<{ name: string; loss: number }> = [];
  for (const [index, name] of quantizedNodes.entries()) {
    signal?.throwIfAborted();
    const accuracy = await trial(new Set(), new Set([name]));
    sensitivity.push({ name, loss: accuracyLoss(accuracy) + (budgetViolations(accuracy, budget).length > 0 ? 1 : 0) });
    yield { type: 'percent', phase: 'quantize', label: 'node sensitivity', percent: ((index + 1) / quantizedNodes.length) * 100 };
  }
  sensitivity.sort((left, right) => right.loss - left.loss);
  const kept: string[] = [];
  let accuracy: VariantAccuracy | undefined;
  for (const { name } of sensitivity) {
    if (kept.length >= maxKept) break;
    signal?.throwIfAborted();
    kept.push(name);
    accuracy = await trial(new Set(kept));
    yield { type: 'message', phase: 'quantize', level: 'info', message: `Keeping ${kept.length} node(s) in float: cosine ${accuracy.minCosineSimilarity.toFixed(5)}, max diff ${accuracy.maxAbsDiff.toPrecision(3)}` };
    if (budgetViolations(accuracy, budget).length === 0) break;
  }
  if (accuracy === undefined || budgetViolations(accuracy, budget).length > 0) {
    throw new ConversionError(
      'VALIDATION_FAILED',
      `Keeping ${kept.length} quantized node(s) in float did not bring the variant inside the accuracy budget (${accuracy === undefined ? 'no trial ran' : budgetViolations(accuracy, budget).join(', ')}). Loosen the budget, raise maxNodesKeptInFloat, or use a gentler mode (per-channel, uint8, static calibration).`,
      { details: { keptInFloat: kept, accuracy, budget } },
    );
  }
  // Prune: try each kept node quantized again, least sensitive first.
  for (const name of [...kept].reverse()) {
    if (kept.length <= 1) break;
    signal?.throwIfAborted();
    const without = kept.filter((entry) => entry !== name);
    const retry = await trial(new Set(without));
    if (budgetViolations(retry, budget).length === 0) {
      kept.splice(kept.indexOf(name), 1);
      accuracy = retry;
    }
  }
  return { keepInFloat: kept, accuracy, sensitivity };
}
