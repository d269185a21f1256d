/**
 * Decides, for one save, which tensors go to the external data file and where, without touching
 * the caller's model: the encoder swaps the affected TensorProto objects for planned copies.
 */
import path from 'node:path';
import { DATA_LOCATION_EXTERNAL, externalDataInfo, externalDataSource, isExternalTensor, resolveExternalDataPath, checkedExternalLength } from './external-data';
import type { LoadedOnnxModel } from './load-onnx-model';
import type { FileByteRange, MessageSubstitute, OutputChunk } from './encode-message';
import { SizeCalculator } from './encode-message';
import { ModelSpec, TensorSpec } from './onnx-schema';
import type { ModelProto, TensorProto } from './onnx-types';
import { forEachTensor } from './walk-model';

/** How a save lays out tensor data. */
export interface ExternalDataPlan {
  substitute: MessageSubstitute;
  /** Size of the model file. */
  modelBytes: number;
  /** Chunks of the external data file (empty when nothing goes external). */
  dataChunks: OutputChunk[];
  dataBytes: number;
  externalTensorCount: number;
}

export interface ExternalDataPlanOptions {
  externalData: 'auto' | boolean;
  /** The location written into the model (a file name in the model's folder). */
  location: string;
  sizeThreshold: number;
  autoThresholdBytes: number;
  alignment: number;
  convertAttributeTensors: boolean;
}

function sourceRange(tensor: TensorProto): FileByteRange {
  const directory = externalDataSource(tensor)?.baseDirectory;
  if (directory === undefined) {
    throw new TypeError(
      `saveOnnxModel: tensor "${tensor.name ?? ''}" refers to external data, but its folder is unknown; load the model with loadOnnxModel(path) or loadOnnxModelFromBuffer(bytes, { baseDirectory }).`,
    );
  }
  const info = externalDataInfo(tensor);
  const file = resolveExternalDataPath(directory, info.location);
  return { kind: 'file-range', path: file, offset: info.offset, length: checkedExternalLength(tensor, file, info) };
}

/**
 * Plans a save. External tensors of the source are inlined (streamed from their file) when the
 * plan keeps everything in the model, and copied into the new data file otherwise.
 */
export function planExternalData(model: ModelProto, options: ExternalDataPlanOptions): ExternalDataPlan {
  const candidates: TensorProto[] = [];
  const sources = new Map<TensorProto, FileByteRange>();
  forEachTensor(model, (tensor, role) => {
    if (isExternalTensor(tensor)) sources.set(tensor, sourceRange(tensor));
    if (role === 'initializer' || (role === 'attribute' && options.convertAttributeTensors) || isExternalTensor(tensor)) {
      candidates.push(tensor);
    }
  });

  const inlined = new Map<object, object>();
  for (const [tensor, range] of sources) inlined.set(tensor, { ...tensor, rawData: range, externalData: [], dataLocation: 0 });
  const inlineSubstitute: MessageSubstitute = (value) => inlined.get(value) ?? value;
  const inlineSize = new SizeCalculator(inlineSubstitute).messageSize(model, ModelSpec);

  const goExternal =
    options.externalData === true || (options.externalData === 'auto' && (inlineSize > options.autoThresholdBytes || sources.size > 0 || (model as Partial<LoadedOnnxModel>).loadedFrom?.externalData === true));
  if (!goExternal) {
    return { substitute: inlineSubstitute, modelBytes: inlineSize, dataChunks: [], dataBytes: 0, externalTensorCount: 0 };
  }

  const planned = new Map<object, object>();
  const dataChunks: OutputChunk[] = [];
  let offset = 0;
  const seen = new Set<TensorProto>();
  for (const tensor of candidates) {
    if (seen.has(tensor)) continue;
    seen.add(tensor);
    const source: Uint8Array | FileByteRange | undefined = sources.get(tensor) ?? tensor.rawData;
    if (source === undefined) continue;
    const length = source instanceof Uint8Array ? source.byteLength : source.length;
    if (!sources.has(tensor) && length < options.sizeThreshold) continue;
    if (options.alignment > 1 && offset % options.alignment !== 0) {
      const padding = options.alignment - (offset % options.alignment);
      dataChunks.push(new Uint8Array(padding));
      offset += padding;
    }
    if (length > 0) dataChunks.push(source);
    planned.set(tensor, {
      ...tensor,
      rawData: undefined,
      externalData: [
        { key: 'location', value: options.location },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(length) },
      ],
      dataLocation: DATA_LOCATION_EXTERNAL,
    });
    offset += length;
  }
  const substitute: MessageSubstitute = (value, spec) => (spec === TensorSpec ? (planned.get(value) ?? inlined.get(value) ?? value) : value);
  const modelBytes = new SizeCalculator(substitute).messageSize(model, ModelSpec);
  return { substitute, modelBytes, dataChunks, dataBytes: offset, externalTensorCount: planned.size };
}

/** The default external data file name for a model path: `<model file name>.data`. */
export function defaultExternalDataFileName(modelPath: string): string {
  return `${path.basename(modelPath)}.data`;
}
