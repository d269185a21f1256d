/** Optimization levels with Optimum's meaning (https://huggingface.co/docs/optimum/onnxruntime/usage_guides/optimization). */
import type { ValidationTolerances } from '@gpux/converter-core';

/** `O0` none, `O1` basic, `O2` + transformer fusions, `O3` + approximate GELU, `O4` + float16. */
export type OptimizationLevel = 'O0' | 'O1' | 'O2' | 'O3' | 'O4';

/** What each level does, for reports and help texts. */
export const OPTIMIZATION_LEVEL_DESCRIPTIONS: Readonly<Record<OptimizationLevel, string>> = {
  O0: 'no optimization (the model is copied and validated)',
  O1: "basic: dead nodes, Identity, Dropout, constant folding, duplicate initializers, and onnxruntime's portable 'basic' rewrites",
  O2: 'O1 + transformer fusions (Attention, LayerNorm, Gelu/BiasGelu/FastGelu, EmbedLayerNorm; residual Add + LayerNorm kept unfused on CPU, SkipLayerNorm with the skipLayerNormalization fusion option)',
  O3: 'O2 + approximate GELU (FastGelu)',
  O4: 'O3 + float16 weights and activations (GPU targets), float32 inputs and outputs',
};

/** Every level, from none to most. */
export const OPTIMIZATION_LEVELS: readonly OptimizationLevel[] = ['O0', 'O1', 'O2', 'O3', 'O4'];

const ORDER = OPTIMIZATION_LEVELS;

/**
 * Reads a level from `'O2'`, `'o2'`, `'2'` or `2`.
 *
 * @throws {RangeError} naming the value when it is not a level.
 * @example
 * ```ts
 * parseOptimizationLevel('o3'); // 'O3'
 * ```
 */
export function parseOptimizationLevel(value: unknown): OptimizationLevel {
  const text = typeof value === 'number' ? `O${value}` : typeof value === 'string' ? (/^\d$/.test(value) ? `O${value}` : value.toUpperCase()) : '';
  if ((ORDER as readonly string[]).includes(text)) return text as OptimizationLevel;
  throw new RangeError(`Parameter "level" must be one of ${ORDER.join(', ')}, received ${JSON.stringify(value)}.`);
}

/** Whether `level` includes everything of `minimum`. */
export function levelAtLeast(level: OptimizationLevel, minimum: OptimizationLevel): boolean {
  return ORDER.indexOf(level) >= ORDER.indexOf(minimum);
}

/**
 * Validation tolerances of each level against the unoptimized model: exact rewrites (O0-O2) keep
 * the default float32 tolerances; the tanh GELU approximation (O3) differs from erf GELU by up to
 * about 1e-3; float16 (O4) keeps about three significant digits.
 */
export function levelTolerances(level: OptimizationLevel): ValidationTolerances {
  if (level === 'O4') return { atol: 2e-2, rtol: 2e-2, minCosineSimilarity: 0.999 };
  if (level === 'O3') return { atol: 5e-3, rtol: 1e-2, minCosineSimilarity: 0.9995 };
  return { atol: 1e-4, rtol: 1e-3 };
}
