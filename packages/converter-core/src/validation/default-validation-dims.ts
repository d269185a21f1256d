import { dimExpressionNames, evaluateDimExpression } from '@gpux/onnx';
import type { TensorSpec } from '../adapter';

/** Sizes used for symbolic dims in validation; see {@link defaultValidationDims}. */
export interface ValidationDimsOptions {
  /** Image height and width for `height`/`width` dims. @default 32 */
  imageSize?: number | { height: number; width: number };
  /** Number of channels for `num_channels` dims. @default 3 */
  numChannels?: number;
  /** Two sequence lengths. @default [8, 17] */
  sequenceLengths?: [number, number];
  /** Two batch sizes. @default [1, 3] */
  batchSizes?: [number, number];
}

/** A symbolic dim's role, guessed from its name (`batch_size`, `sequence_length`, `height`, ...). */
export type SymbolicDimRole = 'batch' | 'past' | 'sequence' | 'height' | 'width' | 'channels' | 'other';

/** Guesses the role of a symbolic dim from its name. */
export function symbolicDimRole(name: string): SymbolicDimRole {
  const lower = name.toLowerCase();
  if (/batch|^n$/.test(lower)) return 'batch';
  if (/past/.test(lower)) return 'past';
  if (/seq|length|token|time|frames|^s\d*$/.test(lower)) return 'sequence';
  if (/height|^h$/.test(lower)) return 'height';
  if (/width|^w$/.test(lower)) return 'width';
  if (/channel|^c$/.test(lower)) return 'channels';
  return 'other';
}

/** Every symbolic dim name of `specs`, in order of first appearance. */
export function symbolicDimNames(specs: ReadonlyArray<Pick<TensorSpec, 'shape'>>): string[] {
  const names = new Set<string>();
  for (const spec of specs) for (const dimension of spec.shape) if (typeof dimension === 'string') names.add(dimension);
  return [...names];
}

/**
 * Two different size assignments for the symbolic dims of a model's inputs, so that validating at
 * both catches a size baked into the graph: batch 1 and 3, sequence 8 and 17, past length 4 and 9,
 * other dims 2 and 5; image height/width and channels stay at their configured values in both.
 * A derived dim such as `past_sequence_length + sequence_length` (a decoder's attention mask) or
 * `2*s0` is computed from its parts (`evaluateDimExpression` of `@gpux/onnx`), so the generated
 * inputs agree with each other.
 *
 * @example
 * ```ts
 * defaultValidationDims([{ name: 'input_ids', dtype: 'int64', shape: ['batch_size', 'sequence_length'] }]);
 * // [{ batch_size: 1, sequence_length: 8 }, { batch_size: 3, sequence_length: 17 }]
 * ```
 */
export function defaultValidationDims(inputs: readonly TensorSpec[], options: ValidationDimsOptions = {}): [Record<string, number>, Record<string, number>] {
  const image = typeof options.imageSize === 'number' ? { height: options.imageSize, width: options.imageSize } : options.imageSize ?? { height: 32, width: 32 };
  const sizes: Record<SymbolicDimRole, [number, number]> = {
    batch: options.batchSizes ?? [1, 3],
    sequence: options.sequenceLengths ?? [8, 17],
    past: [4, 9],
    height: [image.height, image.height],
    width: [image.width, image.width],
    channels: [options.numChannels ?? 3, options.numChannels ?? 3],
    other: [2, 5],
  };
  const first: Record<string, number> = {};
  const second: Record<string, number> = {};
  const names = symbolicDimNames(inputs);
  // Plain dims first (also those that appear only inside an expression), then the expressions.
  for (const name of names.flatMap(dimExpressionNames)) {
    if (name in first) continue;
    const [small, large] = sizes[symbolicDimRole(name)];
    first[name] = small;
    second[name] = large;
  }
  for (const name of names) {
    if (name in first) continue;
    first[name] = evaluateDimExpression(name, first) ?? 0;
    second[name] = evaluateDimExpression(name, second) ?? 0;
  }
  return [first, second];
}

/** A readable label of a dims assignment: `batch_size=1, sequence_length=8`. */
export function describeDims(dims: Record<string, number>): string {
  const entries = Object.entries(dims);
  return entries.length === 0 ? 'static shapes' : entries.map(([name, value]) => `${name}=${value}`).join(', ');
}
