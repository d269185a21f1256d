import type { ModelConversionCliOptions } from '../conversion/model-conversion-options';

/** Layers option sets: later ones win, and an option a set leaves out keeps the earlier value. */
export function mergeJobOptions(...layers: readonly ModelConversionCliOptions[]): ModelConversionCliOptions {
  const merged: ModelConversionCliOptions = {};
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) if (value !== undefined) (merged as Record<string, unknown>)[key] = value;
  }
  return merged;
}
