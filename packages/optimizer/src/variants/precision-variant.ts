/**
 * The precision variants a conversion can add beside the fp32 model, by their transformers.js names:
 * the integer quantization modes `int8`, `uint8`, `q8` and `q4` ({@link createQuantizationStage})
 * and `fp16` ({@link createFloat16Stage}).
 */
export type PrecisionVariant = 'int8' | 'uint8' | 'q8' | 'fp16' | 'q4';

/** Every {@link PrecisionVariant}, in the order help texts list them. */
export const PRECISION_VARIANTS: readonly PrecisionVariant[] = ['int8', 'uint8', 'q8', 'fp16', 'q4'];

/**
 * Reads a comma list of variants (`'int8,fp16'`, case and spaces ignored) into distinct variants,
 * in the order given.
 *
 * @throws {RangeError} naming the entry that is not a variant, or when the list names none.
 * @example
 * ```ts
 * parsePrecisionVariants('INT8, fp16,int8'); // ['int8', 'fp16']
 * ```
 */
export function parsePrecisionVariants(value: string): PrecisionVariant[] {
  if (typeof value !== 'string') throw new TypeError(`Parameter "value" must be a string, received ${JSON.stringify(value)}.`);
  const variants: PrecisionVariant[] = [];
  for (const entry of value.split(',').map((part) => part.trim().toLowerCase()).filter((part) => part !== '')) {
    if (!(PRECISION_VARIANTS as readonly string[]).includes(entry)) {
      throw new RangeError(`Parameter "variants" must be a comma list of ${PRECISION_VARIANTS.join(', ')}, received "${entry}".`);
    }
    if (!variants.includes(entry as PrecisionVariant)) variants.push(entry as PrecisionVariant);
  }
  if (variants.length === 0) throw new RangeError(`Parameter "variants" must name at least one of ${PRECISION_VARIANTS.join(', ')}.`);
  return variants;
}
