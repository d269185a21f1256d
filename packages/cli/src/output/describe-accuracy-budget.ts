import type { ConversionReport } from '@gpux/converter-core';
import { formatBytes } from './progress-renderer';

interface KeptNodeCost {
  name: string;
  opType: string;
  floatWeightBytes: number;
  extraBytes: number;
}

const isCost = (value: unknown): value is KeptNodeCost =>
  typeof value === 'object' && value !== null && typeof (value as KeptNodeCost).name === 'string' && typeof (value as KeptNodeCost).extraBytes === 'number';

/** A readable name for a kept node: the embedding table for a Gather, else its op type and name. */
function describeNode(cost: KeptNodeCost): string {
  if (cost.opType === 'Gather' || cost.opType === 'EmbedLayerNormalization') return `embedding table ${cost.name}`;
  return `${cost.opType} ${cost.name}`;
}

/**
 * Lines that say what the accuracy budget did to each quantized variant: which nodes it kept in
 * fp32, what each costs in size, and how to trade accuracy for size (`--min-cosine`). Empty when no
 * variant kept anything in float; a variant that failed validation (and was left out) is skipped.
 *
 * @example
 * ```ts
 * describeAccuracyBudget(report);
 * // ['quantize-int8 kept 1 node in fp32 to stay within its accuracy budget (+35.2 MiB): embedding table /embeddings/Gather (46.9 MiB fp32, +35.2 MiB).', ...]
 * ```
 */
export function describeAccuracyBudget(report: Pick<ConversionReport, 'variants'> & Partial<Pick<ConversionReport, 'validation'>>): string[] {
  const lines: string[] = [];
  const failed = new Set((report.validation ?? []).filter((entry) => entry.status === 'failed').map((entry) => entry.path));
  for (const variant of report.variants) {
    // A variant left out for failing validation has no file to describe.
    if (variant.files.length > 0 && variant.files.every((file) => failed.has(file))) continue;
    const costs = Object.values(variant.details ?? {}).flatMap((details) => {
      const list = (details as { keptInFloatCosts?: unknown } | undefined)?.keptInFloatCosts;
      return Array.isArray(list) ? list.filter(isCost) : [];
    });
    if (costs.length === 0) continue;
    const extra = costs.reduce((total, cost) => total + cost.extraBytes, 0);
    const shown = [...costs].sort((left, right) => right.extraBytes - left.extraBytes);
    const listed = shown.slice(0, 5).map((cost) => `${describeNode(cost)} (${formatBytes(cost.floatWeightBytes)} fp32, +${formatBytes(cost.extraBytes)})`);
    const more = shown.length > 5 ? ` and ${shown.length - 5} more` : '';
    lines.push(`${variant.name} kept ${costs.length} node${costs.length === 1 ? '' : 's'} in fp32 to stay within its accuracy budget (+${formatBytes(extra)}): ${listed.join(', ')}${more}.`);
  }
  if (lines.length > 0) lines.push('To trade accuracy for size, lower the budget with --min-cosine (e.g. --min-cosine 0.95; the default is 0.99 for int8/uint8/q8, 0.98 for q4).');
  return lines;
}
