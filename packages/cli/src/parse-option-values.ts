import { parseStaticShapes } from '@gpux/converter-core';
import { InvalidArgumentError } from 'commander';

/** Graph optimization levels with Optimum's meaning. */
export type OptimizationLevel = 'O0' | 'O1' | 'O2' | 'O3' | 'O4';

/** Quantization and precision variants `--quantize` accepts (transformers.js names). */
export type QuantizationMode = 'int8' | 'uint8' | 'q8' | 'fp16' | 'q4';

export const OPTIMIZATION_LEVELS: readonly OptimizationLevel[] = ['O0', 'O1', 'O2', 'O3', 'O4'];
export const QUANTIZATION_MODES: readonly QuantizationMode[] = ['int8', 'uint8', 'q8', 'fp16', 'q4'];

/** Parses `--optimize O0..O4` (also `0..4` and lower case). */
export function parseOptimizationLevel(value: string): OptimizationLevel {
  const normalized = /^\d$/.test(value) ? `O${value}` : value.toUpperCase();
  if (!(OPTIMIZATION_LEVELS as readonly string[]).includes(normalized)) {
    throw new InvalidArgumentError(`expected one of ${OPTIMIZATION_LEVELS.join(', ')}, received "${value}".`);
  }
  return normalized as OptimizationLevel;
}

/** Parses `--quantize int8,fp16` into distinct modes, in the order given. */
export function parseQuantizationModes(value: string): QuantizationMode[] {
  const modes: QuantizationMode[] = [];
  for (const part of value.split(',').map((entry) => entry.trim().toLowerCase()).filter((entry) => entry !== '')) {
    if (!(QUANTIZATION_MODES as readonly string[]).includes(part)) {
      throw new InvalidArgumentError(`expected a comma list of ${QUANTIZATION_MODES.join(', ')}, received "${part}".`);
    }
    if (!modes.includes(part as QuantizationMode)) modes.push(part as QuantizationMode);
  }
  if (modes.length === 0) throw new InvalidArgumentError(`expected at least one of ${QUANTIZATION_MODES.join(', ')}.`);
  return modes;
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
