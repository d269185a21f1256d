/**
 * How close ONNX outputs must be to the reference.
 *
 * An element passes when `|onnx - reference| <= atol + rtol * |reference|` (the rule of
 * `numpy.allclose`); NaN and infinities pass only where the reference holds the same value.
 * Optimum validates exports with `atol` between 1e-5 and 1e-3 depending on the architecture
 * (https://huggingface.co/docs/optimum/exporters/onnx/usage_guides/export_a_model): the defaults,
 * `atol = 1e-4` and `rtol = 1e-3`, sit in that range and absorb the float32 reordering of fused
 * kernels while still catching a wrong graph.
 */
export interface ValidationTolerances {
  /** Absolute tolerance. @default 1e-4 */
  atol?: number;
  /** Relative tolerance. @default 1e-3 */
  rtol?: number;
  /** Also require at least this cosine similarity per output (useful for quantized variants). */
  minCosineSimilarity?: number;
  /** Also require at least this fraction of rows whose last-axis argmax agrees (logits outputs). */
  minArgmaxAgreement?: number;
}

/** {@link ValidationTolerances} with every default filled in. */
export type ResolvedValidationTolerances = Required<Pick<ValidationTolerances, 'atol' | 'rtol'>> &
  Pick<ValidationTolerances, 'minCosineSimilarity' | 'minArgmaxAgreement'>;

/** The defaults of {@link ValidationTolerances}. */
export const DEFAULT_VALIDATION_TOLERANCES: Readonly<ResolvedValidationTolerances> = { atol: 1e-4, rtol: 1e-3 };

/**
 * Fills in defaults and checks the values.
 *
 * @throws RangeError naming the tolerance that is negative or not a number.
 */
export function resolveValidationTolerances(tolerances: ValidationTolerances = {}): ResolvedValidationTolerances {
  const resolved: ResolvedValidationTolerances = {
    atol: tolerances.atol ?? DEFAULT_VALIDATION_TOLERANCES.atol,
    rtol: tolerances.rtol ?? DEFAULT_VALIDATION_TOLERANCES.rtol,
  };
  if (tolerances.minCosineSimilarity !== undefined) resolved.minCosineSimilarity = tolerances.minCosineSimilarity;
  if (tolerances.minArgmaxAgreement !== undefined) resolved.minArgmaxAgreement = tolerances.minArgmaxAgreement;
  for (const [name, value] of Object.entries<number>(resolved)) {
    if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
      throw new RangeError(`Parameter "tolerances.${name}" must be a non-negative number, received ${String(value)}.`);
    }
  }
  return resolved;
}
