import type { BatchDefaults } from '@gpux/converter-core';
import { createVariantStages } from '../conversion/create-variant-stages';
import type { BatchJobCliOptions } from './read-batch-manifest';

/** Layers option sets: later ones win, and an option a set leaves out keeps the earlier value. */
export function mergeJobOptions(...layers: readonly BatchJobCliOptions[]): BatchJobCliOptions {
  const merged: BatchJobCliOptions = {};
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) if (value !== undefined) (merged as Record<string, unknown>)[key] = value;
  }
  return merged;
}

/** The conversion options one batch job's CLI options stand for (as `convert` builds them from its flags). */
export function jobConvertOptions(options: BatchJobCliOptions): Partial<BatchDefaults> {
  const tolerances = { ...(options.atol === undefined ? {} : { atol: options.atol }), ...(options.rtol === undefined ? {} : { rtol: options.rtol }) };
  return {
    ...(options.framework === undefined ? {} : { framework: options.framework }),
    ...(options.task === undefined ? {} : { task: options.task }),
    ...(options.opset === undefined ? {} : { opset: options.opset }),
    ...(options.staticShapes === undefined ? {} : { staticShapes: options.staticShapes }),
    ...(Object.keys(tolerances).length === 0 ? {} : { tolerances }),
    trustRemoteCode: options.trustRemoteCode === true,
    validate: options.validate ?? true,
    variants: createVariantStages(options.optimize, options.quantize ?? []),
  };
}
