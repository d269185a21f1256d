import path from 'node:path';
import { stringify } from 'yaml';
import type { ModelSource, TensorSpec } from '../adapter';
import { isDimExpression } from '@gpux/onnx';
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
  /** The sizes `--static-shapes` fixed in the graph, recorded under `metadata.static_shapes`. */
  staticShapes?: Record<string, number>;
  /** Size of the main ONNX file with its external data, in bytes, for the runtime's memory hint. */
  modelBytes?: number;
}

/**
 * The GPUX runtime release whose schema and input checks gpux.yml is written for. GPUX 0.1.1
 * reads `shape` as `list[int]` (-1: dynamic) and compares the model's own input dims with
 * integers, so it runs only models whose input dims are fixed in the graph.
 */
export const GPUX_RUNTIME_VERSION = '0.1.1';

/** A shape as GPUX's schema takes it: integers, -1 for a dynamic (symbolic) dim. */
export function gpuxShape(shape: TensorSpec['shape']): number[] {
  return shape.map((dim) => (typeof dim === 'number' && Number.isInteger(dim) && dim >= 0 ? dim : -1));
}

/** The memory hint of `runtime.gpu.memory`: twice the weights plus 512 MB for activations, in whole GB (at least 1GB). */
export function gpuMemoryHint(modelBytes: number): string {
  return `${Math.max(1, Math.ceil((2 * modelBytes + 512 * 1024 ** 2) / 1024 ** 3))}GB`;
}

/**
 * Why GPUX cannot run a model with these inputs, or undefined when it can (every input dim fixed).
 *
 * @example
 * ```ts
 * gpuxDynamicInputWarning([{ name: 'input_ids', dtype: 'int64', shape: ['batch_size', 8] }]);
 * // 'GPUX 0.1.1 runs only models whose input dims are fixed; these are dynamic: batch_size. ...'
 * ```
 */
export function gpuxDynamicInputWarning(inputs: readonly TensorSpec[]): string | undefined {
  const names = [...new Set(inputs.flatMap((spec) => spec.shape.filter((dim): dim is string => typeof dim === 'string' && !isDimExpression(dim))))];
  if (names.length === 0) return undefined;
  const example = names.map((name) => `${name}=${/batch/.test(name) ? 1 : /past/.test(name) ? 8 : 128}`).join(',');
  return (
    `GPUX ${GPUX_RUNTIME_VERSION} runs only models whose input dims are fixed; these are dynamic: ${names.join(', ')}. ` +
    `gpux build accepts this gpux.yml, but gpux run needs a static model: convert with --static-shapes ${example}.`
  );
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
 * Builds the `gpux.yml` document in GPUX's own schema (pydantic `GPUXConfig` of the `gpux` PyPI
 * package, {@link GPUX_RUNTIME_VERSION}): `name`, `version`, `description`, `model`, `inputs`,
 * `outputs`, `runtime`, `preprocessing`, `metadata`. `model.source` is the ONNX file relative to
 * gpux.yml; shapes are integers with -1 for a dynamic dim, and the symbolic names are kept under
 * `metadata.symbolic_shapes` (GPUX keeps `metadata` as a free-form dict).
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
    shape: gpuxShape(spec.shape),
    required: true,
    ...(maxLength !== undefined && textInputPattern.test(spec.name) ? { max_length: maxLength } : {}),
  }));
  const outputs = input.outputs.map((spec) => ({
    name: spec.name,
    type: spec.dtype,
    shape: gpuxShape(spec.shape),
    ...(labelled && spec === labelOutput ? { labels } : {}),
  }));
  const symbolic = (specs: readonly TensorSpec[]): Record<string, Array<string | number>> | undefined => {
    const named = specs.filter((spec) => spec.shape.some((dim) => typeof dim === 'string'));
    return named.length === 0 ? undefined : Object.fromEntries(named.map((spec) => [spec.name, [...spec.shape]]));
  };
  const symbolicInputs = symbolic(input.inputs);
  const symbolicOutputs = symbolic(input.outputs);
  const staticBatch = input.staticShapes === undefined ? undefined : Object.entries(input.staticShapes).find(([name]) => /batch/.test(name))?.[1];
  const runtimeWarning = gpuxDynamicInputWarning(input.inputs);

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
    // GPUX's PreprocessingConfig has no audio fields: they go under `custom`, which it keeps as-is.
    const samplingRate = numberOrUndefined(preprocessor.sampling_rate);
    if (samplingRate !== undefined) custom.sampling_rate = samplingRate;
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
    runtime: {
      gpu: { ...(input.modelBytes === undefined ? {} : { memory: gpuMemoryHint(input.modelBytes) }), backend: 'auto' },
      ...(staticBatch === undefined ? {} : { batch_size: staticBatch }),
    },
    ...(Object.keys(preprocessing).length > 0 ? { preprocessing } : {}),
    metadata: {
      source_model: input.sourceId,
      ...(input.revision === undefined ? {} : { source_revision: input.revision }),
      task: input.task,
      ...(input.architecture === undefined ? {} : { architecture: input.architecture }),
      ...(input.variants === undefined || Object.keys(input.variants).length === 0 ? {} : { variants: input.variants }),
      ...(symbolicInputs === undefined && symbolicOutputs === undefined
        ? {}
        : { symbolic_shapes: { ...(symbolicInputs === undefined ? {} : { inputs: symbolicInputs }), ...(symbolicOutputs === undefined ? {} : { outputs: symbolicOutputs }) } }),
      ...(input.staticShapes === undefined ? {} : { static_shapes: { ...input.staticShapes } }),
      gpux_runtime: { written_for: GPUX_RUNTIME_VERSION, runnable: runtimeWarning === undefined, ...(runtimeWarning === undefined ? {} : { note: runtimeWarning }) },
      converted_by: 'gpux-convert',
    },
  };
}

/** Renders the document of {@link buildGpuxConfig} as YAML. */
export function renderGpuxConfig(document: Record<string, unknown>): string {
  return stringify(document, { lineWidth: 0 });
}
