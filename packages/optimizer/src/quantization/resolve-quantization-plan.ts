/** Checks {@link QuantizeModelOptions} and fills in each mode's defaults. */
import type { QuantizationPlan } from './apply-quantization';
import type { QuantizedIntegerType } from './quantization-math';
import type { QuantizeModelOptions } from './quantization-options';
import { DEFAULT_OP_TYPES } from './select-quantizable-nodes';

const MODES = new Set(['int8', 'uint8', 'q8', 'q4', 'static-int8']);

function stringList(value: unknown, name: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((entry) => typeof entry !== 'string')) throw new TypeError(`quantizeModel: ${name} must be an array of strings, got ${JSON.stringify(value)}.`);
  return value as string[];
}

/**
 * The plan of a run.
 *
 * @throws {TypeError} for a missing or unknown mode, format or list option.
 * @throws {RangeError} for a block size other than 32, 64 or 128.
 */
export function resolveQuantizationPlan(options: QuantizeModelOptions, weightType: QuantizedIntegerType): QuantizationPlan {
  if (typeof options !== 'object' || options === null || !MODES.has(options.mode)) {
    throw new TypeError(`quantizeModel: options.mode must be one of ${[...MODES].join(', ')}, got ${JSON.stringify((options as { mode?: unknown } | null)?.mode)}.`);
  }
  if (options.format !== undefined && options.format !== 'qoperator' && options.format !== 'qdq') throw new TypeError(`quantizeModel: options.format must be 'qoperator' or 'qdq', got ${JSON.stringify(options.format)}.`);
  const blockSize = options.blockSize ?? 32;
  if (![32, 64, 128].includes(blockSize)) throw new RangeError(`quantizeModel: options.blockSize must be 32, 64 or 128, got ${String(blockSize)}.`);
  const include = stringList(options.nodesToQuantize, 'nodesToQuantize');
  const opTypes = stringList(options.opTypes, 'opTypes') ?? [...DEFAULT_OP_TYPES[options.mode]];
  return {
    mode: options.mode,
    format: options.mode === 'static-int8' ? 'qdq' : (options.format ?? 'qoperator'),
    weightType,
    perChannel: options.perChannel ?? false,
    reduceRange: options.reduceRange ?? false,
    blockSize,
    symmetric: options.symmetric ?? true,
    selection: {
      mode: options.mode,
      opTypes: new Set(opTypes),
      nodesToQuantize: include === undefined ? undefined : new Set(include),
      nodesToExclude: new Set(stringList(options.nodesToExclude, 'nodesToExclude') ?? []),
      opTypesToExclude: new Set(stringList(options.opTypesToExclude, 'opTypesToExclude') ?? []),
      format: options.mode === 'static-int8' ? 'qdq' : (options.format ?? 'qoperator'),
    },
    keepInFloat: new Set(),
  };
}
