import { float16ToFloat32, bfloat16ToFloat32 } from '../tensor/float16-to-float32';
import type { HostTensor } from '../tensor/host-tensor';
import type { OutputComparison } from './validation-report';
import type { ResolvedValidationTolerances } from './validation-tolerances';

/** Options of {@link compareTensors}. */
export interface CompareTensorsOptions {
  /** Compute argmax/top-k agreement. @default true for float outputs whose name contains `logits` or `scores` */
  logitsLike?: boolean;
  /** k of the top-k agreement. @default 5 */
  topK?: number;
}

/** The elements of a tensor as float64 numbers (float16/bfloat16 widened, 64-bit integers converted). */
export function tensorToFloat64(tensor: HostTensor): Float64Array {
  if (tensor.dtype === 'float16') return Float64Array.from(float16ToFloat32(tensor.data as Uint16Array));
  if (tensor.dtype === 'bfloat16') return Float64Array.from(bfloat16ToFloat32(tensor.data as Uint16Array));
  if (tensor.data instanceof BigInt64Array || tensor.data instanceof BigUint64Array) {
    return Float64Array.from(tensor.data as ArrayLike<bigint>, (value) => Number(value));
  }
  return Float64Array.from(tensor.data as ArrayLike<number>);
}

const format = (value: number): string => (Math.abs(value) >= 1e-3 && Math.abs(value) < 1e4 ? value.toPrecision(4) : value.toExponential(3));

/**
 * Compares an ONNX output with its reference: shapes first, then the elementwise
 * `|a - r| <= atol + rtol * |r|` rule, cosine similarity, argmax/top-k agreement for logits and
 * NaN/Inf counts.
 *
 * @example
 * ```ts
 * const result = compareTensors('logits', onnxLogits, torchLogits, resolveValidationTolerances());
 * if (!result.passed) console.log(result.failure);
 * ```
 */
export function compareTensors(
  name: string,
  actual: HostTensor,
  expected: HostTensor,
  tolerances: ResolvedValidationTolerances,
  options: CompareTensorsOptions = {},
): OutputComparison {
  const base = { name, dtype: actual.dtype, shape: [...actual.shape], referenceShape: [...expected.shape] };
  const sameShape = actual.shape.length === expected.shape.length && actual.shape.every((dimension, axis) => dimension === expected.shape[axis]);
  if (!sameShape) {
    return {
      ...base,
      maxAbsDiff: null,
      maxRelDiff: null,
      meanAbsDiff: null,
      cosineSimilarity: null,
      mismatchCount: Math.max(actual.data.length, expected.data.length),
      elementCount: actual.data.length,
      nanCount: 0,
      infCount: 0,
      passed: false,
      failure: `${name}: shape [${actual.shape.join(', ')}] differs from the reference shape [${expected.shape.join(', ')}] (a size may be baked into the graph)`,
    };
  }
  const values = tensorToFloat64(actual);
  const reference = tensorToFloat64(expected);
  let maxAbsDiff = 0;
  let maxRelDiff = 0;
  let sumAbsDiff = 0;
  let finiteCount = 0;
  let mismatchCount = 0;
  let nanCount = 0;
  let infCount = 0;
  let worstIndex = -1;
  let dot = 0;
  let normActual = 0;
  let normReference = 0;
  for (let index = 0; index < values.length; index += 1) {
    const value = values[index] as number;
    const target = reference[index] as number;
    if (Number.isNaN(value)) nanCount += 1;
    else if (!Number.isFinite(value)) infCount += 1;
    if (!Number.isFinite(value) || !Number.isFinite(target)) {
      const agree = value === target || (Number.isNaN(value) && Number.isNaN(target));
      if (!agree) mismatchCount += 1;
      continue;
    }
    const difference = Math.abs(value - target);
    finiteCount += 1;
    sumAbsDiff += difference;
    if (difference > maxAbsDiff) {
      maxAbsDiff = difference;
      worstIndex = index;
    }
    if (target !== 0) maxRelDiff = Math.max(maxRelDiff, difference / Math.abs(target));
    if (difference > tolerances.atol + tolerances.rtol * Math.abs(target)) mismatchCount += 1;
    dot += value * target;
    normActual += value * value;
    normReference += target * target;
  }
  const cosineSimilarity =
    normActual === 0 && normReference === 0 ? 1 : normActual === 0 || normReference === 0 ? 0 : dot / Math.sqrt(normActual * normReference);

  const result: OutputComparison = {
    ...base,
    maxAbsDiff,
    maxRelDiff,
    meanAbsDiff: finiteCount === 0 ? 0 : sumAbsDiff / finiteCount,
    cosineSimilarity,
    mismatchCount,
    elementCount: values.length,
    nanCount,
    infCount,
    passed: true,
  };
  const isFloat = actual.dtype.startsWith('float') || actual.dtype === 'bfloat16';
  const lastDimension = actual.shape[actual.shape.length - 1] ?? 0;
  if ((options.logitsLike ?? (isFloat && /logits|scores/i.test(name))) && lastDimension > 1 && values.length > 0) {
    const k = Math.min(options.topK ?? 5, lastDimension);
    const agreement = rankAgreement(values, reference, lastDimension, k);
    result.argmaxAgreement = agreement.argmax;
    if (k > 1 && k < lastDimension) {
      result.topKAgreement = agreement.topK;
      result.topK = k;
    }
  }

  const reasons: string[] = [];
  if (mismatchCount > 0) {
    const nonFinite = nanCount + infCount > 0 ? ` (${nanCount} NaN, ${infCount} Inf in the ONNX output)` : '';
    const worst = worstIndex >= 0 ? `; max abs diff ${format(maxAbsDiff)} at flat index ${worstIndex} (onnx ${format(values[worstIndex] as number)}, reference ${format(reference[worstIndex] as number)}), max rel diff ${format(maxRelDiff)}` : '';
    reasons.push(`${mismatchCount} of ${values.length} elements differ beyond atol ${tolerances.atol} + rtol ${tolerances.rtol} * |reference|${nonFinite}${worst}`);
  }
  if (tolerances.minCosineSimilarity !== undefined && cosineSimilarity < tolerances.minCosineSimilarity) {
    reasons.push(`cosine similarity ${cosineSimilarity.toFixed(6)} < ${tolerances.minCosineSimilarity}`);
  }
  if (tolerances.minArgmaxAgreement !== undefined && result.argmaxAgreement !== undefined && result.argmaxAgreement < tolerances.minArgmaxAgreement) {
    reasons.push(`argmax agreement ${result.argmaxAgreement.toFixed(4)} < ${tolerances.minArgmaxAgreement}`);
  }
  if (reasons.length > 0) {
    result.passed = false;
    result.failure = `${name}: ${reasons.join('; ')}`;
  }
  return result;
}

function rankAgreement(values: Float64Array, reference: Float64Array, width: number, k: number): { argmax: number; topK: number } {
  const rows = Math.floor(values.length / width);
  let argmaxMatches = 0;
  let overlapSum = 0;
  for (let row = 0; row < rows; row += 1) {
    const actualRow = values.subarray(row * width, (row + 1) * width);
    const referenceRow = reference.subarray(row * width, (row + 1) * width);
    const actualTop = topIndices(actualRow, k);
    const referenceTop = topIndices(referenceRow, k);
    if (actualTop[0] === referenceTop[0]) argmaxMatches += 1;
    const referenceSet = new Set(referenceTop);
    overlapSum += actualTop.filter((index) => referenceSet.has(index)).length / k;
  }
  return { argmax: rows === 0 ? 1 : argmaxMatches / rows, topK: rows === 0 ? 1 : overlapSum / rows };
}

function topIndices(row: Float64Array, k: number): number[] {
  const order = Array.from(row.keys());
  order.sort((left, right) => (row[right] as number) - (row[left] as number) || left - right);
  return order.slice(0, k);
}
