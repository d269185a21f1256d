import { ConversionError } from '../conversion-error';

/**
 * Throws `CANCELLED` when `signal` has aborted.
 *
 * @throws ConversionError `CANCELLED` with the abort reason as cause.
 */
export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) {
    throw new ConversionError('CANCELLED', 'The operation was cancelled.', { cause: signal.reason });
  }
}
