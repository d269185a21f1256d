/** Compares a variant's outputs with the fp32 model's on the same feeds. */
import type { AccuracyBudget, QuantizationFeeds, VariantAccuracy } from './quantization-options';
import { openSession, runFeeds } from './run-onnx-model';

/** Reference outputs of every feed set, computed once and compared with many candidates. */
export type ReferenceOutputs = Array<Map<string, { shape: number[]; values: Float64Array }>>;

/** Runs a model on every feed set (a quantized candidate with `exactInt8`, see {@link openSession}). */
export async function runModelOnFeeds(modelPath: string, feeds: readonly QuantizationFeeds[], options: { exactInt8?: boolean } = {}): Promise<ReferenceOutputs> {
  const session = await openSession(modelPath, options);
  try {
    const outputs: ReferenceOutputs = [];
    for (const feed of feeds) outputs.push(await runFeeds(session, feed));
    return outputs;
  } finally {
    await session.release();
  }
}

/** Cosine similarity, largest absolute difference and last-axis argmax agreement of two tensors. */
export function compareOutput(reference: { shape: number[]; values: Float64Array }, candidate: { shape: number[]; values: Float64Array }): { cosine: number; maxAbsDiff: number; argmaxAgreement?: number } {
  if (reference.values.length !== candidate.values.length) return { cosine: 0, maxAbsDiff: Infinity, argmaxAgreement: 0 };
  let dot = 0;
  let referenceNorm = 0;
  let candidateNorm = 0;
  let maxAbsDiff = 0;
  for (let index = 0; index < reference.values.length; index += 1) {
    const expected = reference.values[index]!;
    const actual = candidate.values[index]!;
    dot += expected * actual;
    referenceNorm += expected * expected;
    candidateNorm += actual * actual;
    const difference = Math.abs(expected - actual);
    if (!(difference <= maxAbsDiff)) maxAbsDiff = Number.isNaN(difference) ? Infinity : difference;
  }
  const cosine = referenceNorm === 0 && candidateNorm === 0 ? 1 : dot / Math.sqrt(referenceNorm * candidateNorm || Number.MIN_VALUE);
  const width = reference.shape[reference.shape.length - 1] ?? 1;
  if (reference.shape.length < 2 || width < 2) return { cosine, maxAbsDiff };
  const rows = reference.values.length / width;
  let agree = 0;
  for (let row = 0; row < rows; row += 1) if (argmax(reference.values, row * width, width) === argmax(candidate.values, row * width, width)) agree += 1;
  return { cosine, maxAbsDiff, argmaxAgreement: rows === 0 ? 1 : agree / rows };
}

function argmax(values: Float64Array, start: number, width: number): number {
  let best = start;
  for (let index = start + 1; index < start + width; index += 1) if (values[index]! > values[best]!) best = index;
  return best - start;
}

/**
 * The worst cosine, difference and argmax agreement over every float output and feed set.
 * Argmax agreement covers outputs of rank >= 2 whose last axis has at least 2 entries.
 */
export async function measureVariantAccuracy(candidatePath: string, feeds: readonly QuantizationFeeds[], reference: ReferenceOutputs): Promise<VariantAccuracy> {
  const candidate = await runModelOnFeeds(candidatePath, feeds, { exactInt8: true });
  let minCosineSimilarity = 1;
  let maxAbsDiff = 0;
  let minArgmaxAgreement: number | undefined;
  reference.forEach((outputs, index) => {
    for (const [name, expected] of outputs) {
      const actual = candidate[index]?.get(name);
      const result = actual === undefined ? { cosine: 0, maxAbsDiff: Infinity, argmaxAgreement: 0 } : compareOutput(expected, actual);
      minCosineSimilarity = Math.min(minCosineSimilarity, result.cosine);
      maxAbsDiff = Math.max(maxAbsDiff, result.maxAbsDiff);
      if (result.argmaxAgreement !== undefined) minArgmaxAgreement = Math.min(minArgmaxAgreement ?? 1, result.argmaxAgreement);
    }
  });
  return { minCosineSimilarity, maxAbsDiff, ...(minArgmaxAgreement === undefined ? {} : { minArgmaxAgreement }), cases: feeds.length };
}

/** The budget limits an accuracy breaks (empty when it fits). */
export function budgetViolations(accuracy: VariantAccuracy, budget: AccuracyBudget): string[] {
  const problems: string[] = [];
  if (budget.minCosineSimilarity !== undefined && !(accuracy.minCosineSimilarity >= budget.minCosineSimilarity)) problems.push(`cosine ${accuracy.minCosineSimilarity.toFixed(5)} < ${budget.minCosineSimilarity}`);
  if (budget.maxAbsDiff !== undefined && !(accuracy.maxAbsDiff <= budget.maxAbsDiff)) problems.push(`max abs diff ${accuracy.maxAbsDiff.toPrecision(4)} > ${budget.maxAbsDiff}`);
  if (budget.minArgmaxAgreement !== undefined && accuracy.minArgmaxAgreement !== undefined && !(accuracy.minArgmaxAgreement >= budget.minArgmaxAgreement)) problems.push(`argmax agreement ${accuracy.minArgmaxAgreement.toFixed(4)} < ${budget.minArgmaxAgreement}`);
  return problems;
}

/** One number for ranking variants against a budget: larger is worse. */
export function accuracyLoss(accuracy: VariantAccuracy): number {
  return 1 - accuracy.minCosineSimilarity + (1 - (accuracy.minArgmaxAgreement ?? 1));
}
