import type { ConverterAdapter, DetectionResult, ExportResult, ModelSource } from '../adapter';
import type { PhaseRecord } from '../pipeline/phase-runner';
import { processPeakRssBytes } from '../pipeline/peak-rss-sampler';
import type { ModelStagesResult } from '../pipeline/run-model-stages';
import type { ArtifactRecord, ConversionReport } from './conversion-report';

/** What {@link buildConversionReport} draws on. */
export interface ConversionReportInput {
  source: ModelSource;
  detection: DetectionResult;
  adapter: ConverterAdapter;
  exportResult: ExportResult;
  stages: ModelStagesResult;
  phases: readonly PhaseRecord[];
  /** Files of the output (empty when nothing was written). */
  artifacts: ArtifactRecord[];
  /** Versions known to the pipeline (node, onnxruntime-node, @gpux packages). */
  toolVersions: Record<string, string>;
  /** Set when the conversion stopped: the report is the report so far. */
  failure?: ConversionReport['failure'];
  /** The sizes `staticShapes` fixed in the graph. */
  staticShapes?: Record<string, number>;
}

/**
 * Assembles `conversion-report.json` from what the phases produced. Each `models` entry carries the
 * IO of its own file (variants were inspected after their stage ran).
 *
 * @example
 * ```ts
 * const report = buildConversionReport({ source, detection, adapter, exportResult, stages, phases, artifacts, toolVersions });
 * ```
 */
export function buildConversionReport(input: ConversionReportInput): ConversionReport {
  const { source, exportResult, stages } = input;
  return {
    formatVersion: 1,
    createdAt: new Date().toISOString(),
    source: {
      ...(source.id === undefined ? {} : { id: source.id }),
      ...(source.revision === undefined ? {} : { revision: source.revision }),
      format: input.detection.format,
      path: source.path,
      kind: source.kind,
    },
    framework: input.detection.framework,
    detection: input.detection,
    adapter: input.adapter.name,
    task: exportResult.task,
    ...(exportResult.architecture === undefined ? {} : { architecture: exportResult.architecture }),
    opset: exportResult.opset,
    exporter: exportResult.exporter,
    notes: [...exportResult.notes, ...stages.variants.flatMap((variant) => variant.notes.map((note) => `${variant.name}: ${note}`))],
    toolVersions: { ...exportResult.toolVersions, ...stages.toolVersions, ...input.toolVersions },
    models: [...stages.models].map(([file, model]) => ({ path: file, modelName: model.modelName, variant: model.variant, inputs: model.inputs, outputs: model.outputs })),
    artifacts: input.artifacts,
    validation: stages.validation,
    variants: stages.variants,
    phases: [...input.phases],
    ...(input.staticShapes === undefined ? {} : { staticShapes: { ...input.staticShapes } }),
    ...(exportResult.peakRssBytes === undefined ? {} : { exportChildPeakRssBytes: exportResult.peakRssBytes }),
    peakRssBytes: processPeakRssBytes(),
    ...(input.failure === undefined ? {} : { failure: input.failure }),
  };
}
