import path from 'node:path';
import { findVocabSize, type ConversionReport, type ValidationReport } from '@gpux/converter-core';
import { formatBytes } from './progress-renderer';
import { formatTable } from './format-table';
import { measureLatency, type LatencyMeasurement } from './measure-latency';

/** Accuracy figures of one model file, worst case over validation cases and outputs. */
export interface AccuracySummary {
  status: 'passed' | 'failed' | 'skipped';
  /** `source` (the framework's outputs) for the export, `fp32` for variants (the exported model). */
  against: string;
  maxAbsDiff?: number;
  minCosineSimilarity?: number;
  minArgmaxAgreement?: number;
  reason?: string;
}

/** One row of the summary table: a model file of the conversion. */
export interface ModelSummary {
  path: string;
  variant: string;
  modelName: string;
  /** The ONNX file plus its external data. */
  bytes: number;
  accuracy: AccuracySummary;
  latency?: LatencyMeasurement;
  latencyError?: string;
}

function worst(report: ValidationReport | undefined): Pick<AccuracySummary, 'maxAbsDiff' | 'minCosineSimilarity' | 'minArgmaxAgreement'> {
  const outputs = (report?.cases ?? []).flatMap((validationCase) => validationCase.outputs);
  const values = (pick: (output: (typeof outputs)[number]) => number | null | undefined) =>
    outputs.map(pick).filter((value): value is number => typeof value === 'number' && Number.isFinite(value));
  const absDiffs = values((output) => output.maxAbsDiff);
  const cosines = values((output) => output.cosineSimilarity);
  const argmax = values((output) => output.argmaxAgreement);
  return {
    ...(absDiffs.length === 0 ? {} : { maxAbsDiff: Math.max(...absDiffs) }),
    ...(cosines.length === 0 ? {} : { minCosineSimilarity: Math.min(...cosines) }),
    ...(argmax.length === 0 ? {} : { minArgmaxAgreement: Math.min(...argmax) }),
  };
}

/**
 * Summarizes each model file of a conversion (size, validation against fp32 or the source) and,
 * unless `measure` is false, times each on onnxruntime-node with {@link measureLatency}.
 */
export async function summarizeConversion(
  directory: string,
  report: ConversionReport,
  options: {
    measure?: boolean;
    runs?: number;
    signal?: AbortSignal;
    /** Called before a model is timed; a function it returns is called when the timing ends (e.g. to stop a spinner). */
    onModel?: (modelPath: string) => (() => void) | void;
  } = {},
): Promise<ModelSummary[]> {
  const summaries: ModelSummary[] = [];
  // The output's config.json (or the main model's embedding table) bounds the token ids of the timed runs.
  const mainModel = report.models.at(0);
  const vocabSize = options.measure === false || mainModel === undefined ? undefined : await findVocabSize(path.join(directory, ...mainModel.path.split('/')));
  for (const model of report.models) {
    const base = path.posix.basename(model.path);
    let bytes = 0;
    for (const artifact of report.artifacts) {
      if (artifact.path === model.path) bytes += artifact.bytes;
      else if (artifact.kind === 'external-data' && path.posix.dirname(artifact.path) === path.posix.dirname(model.path) && path.posix.basename(artifact.path).startsWith(base)) bytes += artifact.bytes;
    }
    const validation = report.validation.find((entry) => entry.path === model.path);
    const accuracy: AccuracySummary = {
      status: validation?.status ?? 'skipped',
      against: model.variant === 'fp32' ? 'source' : 'fp32',
      ...worst(validation?.report),
      reason: validation?.reason,
    };
    const summary: ModelSummary = { path: model.path, variant: model.variant, modelName: model.modelName, bytes, accuracy };
    if (options.measure !== false) {
      const timed = options.onModel?.(model.path);
      try {
        summary.latency = await measureLatency(path.join(directory, ...model.path.split('/')), { runs: options.runs, vocabSize, signal: options.signal });
      } catch (error) {
        if (options.signal?.aborted === true) throw error;
        summary.latencyError = error instanceof Error ? error.message : String(error);
      } finally {
        timed?.();
      }
    }
    summaries.push(summary);
  }
  return summaries;
}

function formatNumber(value: number | undefined, digits: number, exponential = false): string {
  if (value === undefined) return '-';
  return exponential ? value.toExponential(digits) : value.toFixed(digits);
}

/** Formats the summary as an aligned text table. */
export function formatSummaryTable(summaries: readonly ModelSummary[]): string {
  const header = ['file', 'variant', 'size', 'validation', 'max abs diff', 'cosine', 'argmax', 'latency (median)'];
  const rows = summaries.map((summary) => [
    summary.path,
    summary.variant,
    formatBytes(summary.bytes),
    `${summary.accuracy.status} vs ${summary.accuracy.against}`,
    formatNumber(summary.accuracy.maxAbsDiff, 2, true),
    formatNumber(summary.accuracy.minCosineSimilarity, 6),
    summary.accuracy.minArgmaxAgreement === undefined ? '-' : `${(summary.accuracy.minArgmaxAgreement * 100).toFixed(1)}%`,
    summary.latency !== undefined ? `${summary.latency.medianMs.toFixed(2)} ms` : summary.latencyError !== undefined ? 'n/a (see below)' : '-',
  ]);
  const lines = formatTable(header, rows);
  const shapes = summaries.find((summary) => summary.latency !== undefined)?.latency?.inputShapes;
  if (shapes !== undefined) {
    lines.push(`latency: onnxruntime-node CPU, median of ${summaries.find((summary) => summary.latency)?.latency?.runs ?? 0} runs, inputs ${Object.entries(shapes).map(([name, shape]) => `${name}[${shape.join('x')}]`).join(' ')}`);
  }
  for (const summary of summaries) if (summary.latencyError !== undefined) lines.push(`latency of ${summary.path} not measured: ${summary.latencyError}`);
  return lines.join('\n');
}
