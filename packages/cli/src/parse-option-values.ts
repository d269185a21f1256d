import { parseStaticShapes } from '@gpux/onnx';
import { parseOptimizationLevel as parseLevel, parsePrecisionVariants, type OptimizationLevel, type PrecisionVariant } from '@gpux/optimizer';
import { InvalidArgumentError } from 'commander';

/** Commander glue: the optimizer's RangeError as a usage error (exit code 2), without its parameter name. */
function asUsageError<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof RangeError) throw new InvalidArgumentError(error.message.replace(/^Parameter "\w+" /, ''));
    throw error;
  }
}

/** Parses `--optimize O0..O4` (also `0..4` and lower case) with the optimizer's `parseOptimizationLevel`. */
export function parseOptimizationLevel(value: string): OptimizationLevel {
  return asUsageError(() => parseLevel(value));
}

/** Parses `--quantize int8,fp16` into distinct variants, in the order given, with the optimizer's `parsePrecisionVariants`. */
export function parseQuantizationModes(value: string): PrecisionVariant[] {
  return asUsageError(() => parsePrecisionVariants(value));
}

/** Parses a finite, non-negative number (tolerances). */
export function parseNonNegativeNumber(value: string): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || number < 0) throw new InvalidArgumentError(`expected a non-negative number, received "${value}".`);
  return number;
}

/** Parses a positive integer (opset, run counts). */
export function parsePositiveInteger(value: string): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number <= 0) throw new InvalidArgumentError(`expected a positive integer, received "${value}".`);
  return number;
}

/** Parses `--framework pt|tf|onnx|auto` (also `pytorch`, `tensorflow`). */
export function parseFramework(value: string): 'pytorch' | 'tensorflow' | 'onnx' | 'auto' {
  switch (value.toLowerCase()) {
    case 'pt':
    case 'pytorch':
    case 'torch':
      return 'pytorch';
    case 'tf':
    case 'tensorflow':
      return 'tensorflow';
    case 'onnx':
      return 'onnx';
    case 'auto':
      return 'auto';
    default:
      throw new InvalidArgumentError(`expected pt, tf, onnx or auto, received "${value}".`);
  }
}

/** Parses `--static-shapes batch_size=1,sequence_length=128` (converter-core's `parseStaticShapes`) as a usage error on bad input. */
export function parseStaticShapesOption(value: string): Record<string, number> {
  try {
    return parseStaticShapes(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message.replace(/^--static-shapes:? ?/, ''));
  }
}

/** Parses `--min-cosine`: a cosine similarity in (0, 1]. */
export function parseCosineSimilarity(value: string): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || number <= 0 || number > 1) throw new InvalidArgumentError(`expected a cosine similarity above 0 and at most 1, received "${value}".`);
  return number;
}
