import { evaluateDimExpression } from '@gpux/onnx';
import type { TensorSpec } from '../adapter';
import { float32ToFloat16 } from '../tensor/float16-to-float32';
import { allocateTensorData, shapeElementCount, type HostTensor } from '../tensor/host-tensor';
import { symbolicDimRole } from './default-validation-dims';

/** Options of {@link generateInputs}. */
export interface GenerateInputsOptions {
  /** Sizes of symbolic dims by name; unknown names get a size from their role (see `defaultValidationDims`). */
  dims?: Record<string, number>;
  /** Seed of the deterministic generator. @default 0 */
  seed?: number;
  /** Token ids are drawn from `[0, vocabSize)`. @default 100 */
  vocabSize?: number;
  /** Pad the end of the last batch row of attention masks (when the batch has more than one row). @default true */
  padLastRow?: boolean;
}

const fallbackSize: Record<ReturnType<typeof symbolicDimRole>, number> = { batch: 1, past: 4, sequence: 8, height: 32, width: 32, channels: 3, other: 2 };

/** Creates a seeded generator of floats in [0, 1) (mulberry32). */
function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

/** Resolves the concrete shape of a spec. */
export function resolveShape(spec: TensorSpec, dims: Record<string, number> = {}): number[] {
  return spec.shape.map((dimension, axis) => {
    if (typeof dimension === 'number' && dimension >= 0) return dimension;
    const name = typeof dimension === 'string' && dimension !== '' ? dimension : `${spec.name}_dim_${axis}`;
    const size = dims[name] ?? evaluateDimExpression(name, (part) => dims[part] ?? fallbackSize[symbolicDimRole(part)]) ?? fallbackSize[symbolicDimRole(name)];
    if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`Parameter "dims.${name}" must be a non-negative integer, received ${String(size)}.`);
    return size;
  });
}

type InputKind = 'token-ids' | 'attention-mask' | 'token-type-ids' | 'position-ids' | 'generic';

function inputKind(name: string): InputKind {
  const lower = name.toLowerCase();
  if (/input_ids|token_ids|^ids$|decoder_input_ids/.test(lower)) return 'token-ids';
  if (/attention_mask|padding_mask|^mask$/.test(lower)) return 'attention-mask';
  if (/token_type_ids|segment_ids/.test(lower)) return 'token-type-ids';
  if (/position_ids/.test(lower)) return 'position-ids';
  return 'generic';
}

/**
 * Generates deterministic inputs for a model from its input specs:
 * token ids (names containing `input_ids`) uniform in `[0, vocabSize)`; attention masks all ones,
 * with the second half of the last batch row padded with zeros; `token_type_ids` zeros;
 * `position_ids` `0..n-1` along the last axis; float inputs (pixel values, audio features, ...)
 * standard-normal; bool inputs random; other integers in `[0, 2)`.
 *
 * @throws RangeError for a negative dim size.
 * @example
 * ```ts
 * const [small] = defaultValidationDims(inputs);
 * const feeds = generateInputs(inputs, { dims: small, vocabSize: 30522, seed: 1 });
 * ```
 */
export function generateInputs(inputs: readonly TensorSpec[], options: GenerateInputsOptions = {}): Record<string, HostTensor> {
  const random = createRandom(options.seed ?? 0);
  const vocabSize = options.vocabSize ?? 100;
  if (!Number.isSafeInteger(vocabSize) || vocabSize < 1) throw new RangeError(`Parameter "vocabSize" must be a positive integer, received ${String(vocabSize)}.`);
  const normal = (): number => {
    const radius = Math.sqrt(-2 * Math.log(1 - random()));
    return radius * Math.cos(2 * Math.PI * random());
  };
  const result: Record<string, HostTensor> = {};
  for (const spec of inputs) {
    const shape = resolveShape(spec, options.dims);
    const count = shapeElementCount(shape);
    const width = shape[shape.length - 1] ?? 1;
    const rows = width === 0 ? 0 : count / width;
    const kind = inputKind(spec.name);
    const numbers = new Float64Array(count);
    for (let index = 0; index < count; index += 1) {
      const column = index % width;
      const row = Math.floor(index / width);
      switch (kind) {
        case 'token-ids':
          numbers[index] = Math.floor(random() * vocabSize);
          break;
        case 'attention-mask': {
          const padded = (options.padLastRow ?? true) && rows > 1 && row === rows - 1 && column >= Math.max(1, Math.ceil(width / 2));
          numbers[index] = padded ? 0 : 1;
          break;
        }
        case 'token-type-ids':
          numbers[index] = 0;
          break;
        case 'position-ids':
          numbers[index] = column;
          break;
        default:
          if (spec.dtype.startsWith('float') || spec.dtype === 'bfloat16') numbers[index] = normal();
          else numbers[index] = Math.floor(random() * 2);
      }
    }
    result[spec.name] = { dtype: spec.dtype, shape, data: fillTensorData(spec, numbers) };
  }
  return result;
}

function fillTensorData(spec: TensorSpec, numbers: Float64Array): HostTensor['data'] {
  if (spec.dtype === 'float16') return float32ToFloat16(numbers);
  if (spec.dtype === 'bfloat16' || spec.dtype === 'string') {
    throw new TypeError(`Input "${spec.name}" has dtype ${spec.dtype}, which validation cannot generate; pass inputs explicitly.`);
  }
  const data = allocateTensorData(spec.dtype, numbers.length);
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    for (let index = 0; index < numbers.length; index += 1) data[index] = BigInt(numbers[index] as number);
  } else {
    (data as Float64Array).set(numbers);
  }
  return data;
}
