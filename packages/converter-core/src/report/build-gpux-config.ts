import path from 'node:path';
import { stringify } from 'yaml';
import type { ModelSource, TensorSpec } from '../adapter';
import type { SourceConfigs } from './read-source-configs';

/** What {@link buildGpuxConfig} needs. */
export interface GpuxConfigInput {
  /** Model name (`all-MiniLM-L6-v2`). */
  name: string;
  /** Registry id or path of the source, for the description and metadata. */
  sourceId: string;
  revision?: string;
  task: string;
  architecture?: string;
  /** Path of the main ONNX file relative to the output directory (`onnx/model.onnx`). */
  modelPath: string;
  inputs: readonly TensorSpec[];
  outputs: readonly TensorSpec[];
  configs: SourceConfigs;
  /** Facts from the adapter (`ExportResult.modelConfig`), preferred over config.json. */
  modelConfig?: Record<string, unknown>;
  /** Other ONNX files (variants, decoder files) relative to the output directory. */
  variants?: Record<string, string>;
}

const textInputPattern = /input_ids|attention_mask|token_type_ids|position_ids/;
const imagenetMean = [0.485, 0.456, 0.406];
const imagenetStd = [0.229, 0.224, 0.225];

const numberOrUndefined = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
const numberList = (value: unknown): number[] | undefined =>
  Array.isArray(value) && value.every((entry) => typeof entry === 'number') ? (value) : undefined;
const closeTo = (left: number[] | undefined, right: number[]): boolean =>
  left !== undefined && left.length === right.length && left.every((value, index) => Math.abs(value - (right[index] as number)) < 1e-3);

/**
 * The `name` of gpux.yml for a source: the last part of its registry id (`all-MiniLM-L6-v2`, dots
 * kept: `Qwen2.5-0.5B`), or the file name without its extension for a model file.
 *
 * @example
 * ```ts
 * gpuxModelName({ id: 'sentence-transformers/all-MiniLM-L6-v2', path: '/cache/...', kind: 'directory' }); // 'all-MiniLM-L6-v2'
 * ```
 */
export function gpuxModelName(source: ModelSource): string {
  const base = path.basename(source.id ?? source.path);
  const name = source.kind === 'file' ? base.slice(0, base.length - path.extname(base).length) : base;
  return name === '' ? 'model' : name;
}

/** The labels of `id2label`, ordered by class index. */
export function labelsFromId2Label(id2label: unknown): string[] | undefined {
  if (typeof id2label !== 'object' || id2label === null) return undefined;
  const entries = Object.entries(id2label as Record<string, unknown>)
    .map(([key, value]) => [Number(key), String(value)] as const)
    .filter(([key]) => Number.isInteger(key));
  if (entries.length === 0) return undefined;
  return entries.sort((left, right) => left[0] - right[0]).map(([, label]) => label);
}

/** The text length limit: the tokenizer's `model_max_length` (ignoring its "unlimited" sentinel), else `max_position_embeddings`. */
export function maxTextLength(configs: SourceConfigs, modelConfig: Record<string, unknown> = {}): number | undefined {
  const tokenizerLimit = numberOrUndefined(configs.tokenizerConfig?.model_max_length);
  if (tokenizerLimit !== undefined && tokenizerLimit < 1e7) return tokenizerLimit;
  return numberOrUndefined(modelConfig.max_position_embeddings) ?? numberOrUndefined(configs.config?.max_position_embeddings);
}

function imageSize(preprocessor: Record<string, unknown>): [number, number] | undefined {
  const size = preprocessor.crop_size ?? preprocessor.size;
  if (typeof size === 'number') return [size, size];
  if (typeof size !== 'object' || size === null) return undefined;
  const record = size as Record<string, unknown>;
  const height = numberOrUndefined(record.height) ?? numberOrUndefined(record.shortest_edge);
  const width = numberOrUndefined(record.width) ?? numberOrUndefined(record.shortest_edge);
  return height !== undefined && width !== undefined ? [height, width] : undefined;
}

/**
 * Builds the `gpux.yml` document (GPUX's schema: `name`, `version`, `description`, `model`,
 * `inputs`, `outputs`, `runtime`, `preprocessing`, `metadata`). `model.source` is the ONNX file
 * relative to gpux.yml; shapes keep symbolic dims by name.
 */
export function buildGpuxConfig(input: GpuxConfigInput): Record<string, unknown> {
  const modelConfig = { ...(input.configs.config ?? {}), ...(input.modelConfig ?? {}) };
  const maxLength = maxTextLength(input.configs, modelConfig);
  const labels = labelsFromId2Label(modelConfig.id2label);
  const labelled = labels !== undefined && /classification/.test(input.task);
  const labelOutput = input.outputs.find((output) => output.name === 'logits') ?? input.outputs[0];

  const inputs = input.inputs.map((spec) => ({
    name: spec.name,
    type: spec.dtype,
    shape: [...spec.shape],
    required: true,
    ...(maxLength !== undefined && textInputPattern.test(spec.name) ? { max_length: maxLength } : {}),
  }));
  const outputs = input.outputs.map((spec) => ({
    name: spec.name,
    type: spec.dtype,
    shape: [...spec.shape],
    ...(labelled && spec === labelOutput ? { labels } : {}),
  }));

  const preprocessing: Record<string, unknown> = {};
  if (input.configs.hasTokenizerJson || input.configs.tokenizerConfig !== undefined) {
    // Without tokenizer.json, the tokenizer files copied beside gpux.yml (or the registry id) name it.
    preprocessing.tokenizer = input.configs.hasTokenizerJson ? './tokenizer.json' : path.isAbsolute(input.sourceId) ? './' : input.sourceId;
    if (maxLength !== undefined) preprocessing.max_length = maxLength;
  }
  const preprocessor = input.configs.preprocessorConfig;
  if (preprocessor !== undefined) {
    const custom: Record<string, unknown> = {};
    const size = imageSize(preprocessor);
    if (size !== undefined) preprocessing.resize = size;
    const mean = numberList(preprocessor.image_mean);
    const std = numberList(preprocessor.image_std);
    if (mean !== undefined && std !== undefined) {
      preprocessing.normalize = closeTo(mean, imagenetMean) && closeTo(std, imagenetStd) ? 'imagenet' : 'custom';
      custom.image_mean = mean;
      custom.image_std = std;
    }
    const rescale = numberOrUndefined(preprocessor.rescale_factor);
    if (rescale !== undefined) custom.rescale_factor = rescale;
    const samplingRate = numberOrUndefined(preprocessor.sampling_rate);
    if (samplingRate !== undefined) preprocessing.sampling_rate = samplingRate;
    const featureSize = numberOrUndefined(preprocessor.feature_size);
    if (featureSize !== undefined) custom.feature_size = featureSize;
    if (Object.keys(custom).length > 0) preprocessing.custom = custom;
  }

  const description = `${input.architecture ?? input.task} converted to ONNX from ${input.sourceId}${input.revision === undefined ? '' : `@${input.revision.slice(0, 12)}`} by GPUX Convert (task: ${input.task})`;
  return {
    name: input.name,
    version: '1.0.0',
    description,
    model: { source: `./${input.modelPath}`, format: 'onnx' },
    inputs,
    outputs,
    runtime: { gpu: { backend: 'auto' } },
    ...(Object.keys(preprocessing).length > 0 ? { preprocessing } : {}),
    metadata: {
      source_model: input.sourceId,
      ...(input.revision === undefined ? {} : { source_revision: input.revision }),
      task: input.task,
      ...(input.architecture === undefined ? {} : { architecture: input.architecture }),
      ...(input.variants === undefined || Object.keys(input.variants).length === 0 ? {} : { variants: input.variants }),
      converted_by: 'gpux-convert',
    },
  };
}

/** Renders the document of {@link buildGpuxConfig} as YAML. */
export function renderGpuxConfig(document: Record<string, unknown>): string {
  return stringify(document, { lineWidth: 0 });
}
