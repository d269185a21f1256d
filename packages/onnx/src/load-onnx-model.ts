/** Loading ONNX models from files or buffers, with external data read lazily or up front. */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { OnnxError } from './onnx-error';
import { decodeMessage } from './decode-message';
import {
  checkedExternalLength,
  checkedExternalLengthAsync,
  externalDataInfo,
  isExternalTensor,
  readExternalTensorBytes,
  readExternalTensorBytesSync,
  resolveExternalDataPath,
  setExternalDataSource,
  type ExternalDataSource,
} from './external-data';
import { ModelSpec } from './onnx-schema';
import type { ModelProto, TensorProto } from './onnx-types';
import { forEachTensor } from './walk-model';
import { WireReader, invalidModelFileError } from './wire-reader';

/** Options of {@link loadOnnxModel}. */
export interface LoadOnnxModelOptions {
  /**
   * Read every external tensor into `rawData` now (and mark it internal, as `onnx.load` does).
   * Otherwise external tensors keep their `externalData` entries and are read on demand by
   * `tensorToTypedArray` / `tensorRawBytes`, or streamed by `saveOnnxModel`.
   * @default false
   */
  loadExternalData?: boolean;
}

/** Options of {@link loadOnnxModelFromBuffer}. */
export interface LoadOnnxModelFromBufferOptions extends LoadOnnxModelOptions {
  /** The folder external data locations are relative to (needed for models with external data). */
  baseDirectory?: string;
  /** A name for error messages (usually the file path). */
  source?: string;
}

/**
 * Where a model came from. It is data on the model {@link loadOnnxModel} returns (a spread copy of
 * the model keeps it), not part of the ONNX schema, and never written to a file.
 */
export interface OnnxModelOrigin {
  /** The absolute path of the `.onnx` file; undefined for a model decoded from a buffer. */
  file: string | undefined;
  /** The folder external data locations are relative to (the file's folder); undefined when unknown. */
  baseDirectory: string | undefined;
  /**
   * True when some tensors were left in external data files, to be read on demand. `saveOnnxModel`'s
   * `externalData: 'auto'` then writes external data, even after a rewrite replaced every external
   * tensor by an in-memory one (float16, int8).
   */
  externalData: boolean;
}

/**
 * A model as the loaders return it: the ModelProto, with where it came from in `loadedFrom`. Its
 * external tensors carry their own location (`externalSource`, see `externalDataSource`), so
 * reading one needs no side table and survives copies of the tensor.
 */
export interface LoadedOnnxModel extends ModelProto {
  loadedFrom: OnnxModelOrigin;
}

const PROTOBUF_LIMIT = 2 ** 31;

/** The path a model was loaded from by {@link loadOnnxModel} (its `loadedFrom.file`), if any. */
export function onnxModelSourcePath(model: ModelProto): string | undefined {
  return (model as Partial<LoadedOnnxModel>).loadedFrom?.file;
}

/** Decodes the bytes and checks there is a graph. */
function decodeModel(bytes: Uint8Array, source: string | undefined): ModelProto {
  const reader = new WireReader(bytes, source);
  const model = decodeMessage(reader, ModelSpec, bytes.byteLength) as unknown as ModelProto;
  if (model.graph === undefined) {
    reader.fail(
      model.irVersion === undefined
        ? 'it has neither an IR version nor a graph (is this an ONNX file?)'
        : 'the model has no graph',
    );
  }
  return model;
}

interface ExternalTensorEntry {
  tensor: TensorProto;
  source: ExternalDataSource | undefined;
}

/** The model's external tensors, each with its resolved location when the folder is known. */
function externalTensors(model: ModelProto, baseDirectory: string | undefined): ExternalTensorEntry[] {
  const entries: ExternalTensorEntry[] = [];
  forEachTensor(model, (tensor) => {
    if (!isExternalTensor(tensor)) return;
    if (baseDirectory === undefined) {
      entries.push({ tensor, source: undefined });
      return;
    }
    const info = externalDataInfo(tensor);
    const file = resolveExternalDataPath(baseDirectory, info.location);
    entries.push({ tensor, source: { baseDirectory, file, offset: info.offset, length: info.length ?? -1 } });
  });
  return entries;
}

/** A key per distinct byte range, so that a range shared by tensors is checked once. */
function rangeKey(source: ExternalDataSource, length: number | undefined): string {
  return `${source.file}\u0000${source.offset}\u0000${String(length)}`;
}

function loadedModel(model: ModelProto, file: string | undefined, baseDirectory: string | undefined, externalData: boolean): LoadedOnnxModel {
  const loaded = model as LoadedOnnxModel;
  loaded.loadedFrom = { file, baseDirectory, externalData };
  return loaded;
}

/**
 * Loads an ONNX model file. The file is read once; tensor bytes (`rawData`) are views into that
 * buffer, not copies. External data files are checked to exist (asynchronously) and are read
 * lazily unless `loadExternalData` is set, in which case they are read now, asynchronously. The
 * result records its file and folder in `loadedFrom`, and each external tensor its data file and
 * byte range in `externalSource`.
 *
 * @throws {OnnxError} INVALID_MODEL_FILE when the file is missing, corrupt, truncated, not an
 * ONNX model, or its external data file is missing.
 * @example
 * ```ts
 * const model = await loadOnnxModel('./model.onnx');
 * console.log(model.graph!.node.length, model.opsetImport);
 * ```
 */
export async function loadOnnxModel(filePath: string, options: LoadOnnxModelOptions = {}): Promise<LoadedOnnxModel> {
  if (typeof filePath !== 'string' || filePath === '') throw new TypeError(`loadOnnxModel: filePath must be a non-empty string, got ${String(filePath)}.`);
  const absolute = path.resolve(filePath);
  let size: number;
  try {
    const info = await stat(absolute);
    if (!info.isFile()) throw new Error('not a regular file');
    size = info.size;
  } catch (error) {
    throw new OnnxError('INVALID_MODEL_FILE', `Cannot read the ONNX model file ${absolute}: ${(error as Error).message}. Check the path.`, {
      cause: error,
      details: { path: absolute },
    });
  }
  if (size >= PROTOBUF_LIMIT) {
    throw invalidModelFileError(`the file is ${size} bytes, but a protobuf model cannot exceed 2 GiB (larger models keep their weights in external data files)`, absolute);
  }
  const bytes = await readFile(absolute);
  const model = decodeModel(bytes, absolute);
  const baseDirectory = path.dirname(absolute);
  const external = externalTensors(model, baseDirectory);
  const checked = new Map<string, Promise<number>>();
  for (const { tensor, source } of external) {
    const info = externalDataInfo(tensor);
    const key = rangeKey(source!, info.length);
    let length = checked.get(key);
    if (length === undefined) {
      length = checkedExternalLengthAsync(tensor, source!.file, info);
      checked.set(key, length);
    }
    setExternalDataSource(tensor, { ...source!, length: await length });
  }
  if (options.loadExternalData === true) {
    for (const { tensor } of external) inlineExternalTensor(tensor, await readExternalTensorBytes(tensor));
  }
  return loadedModel(model, absolute, baseDirectory, external.length > 0 && options.loadExternalData !== true);
}

/** Makes a tensor internal with the given bytes (as `onnx.load` does with external data). */
function inlineExternalTensor(tensor: TensorProto, bytes: Uint8Array): void {
  tensor.rawData = bytes;
  tensor.externalData = [];
  tensor.dataLocation = 0;
  delete (tensor as { externalSource?: unknown }).externalSource;
}

/**
 * Decodes an ONNX model from bytes. The returned model's `rawData` fields are views into `bytes`:
 * do not reuse the buffer while the model is in use. This API is synchronous: the external data
 * files are checked with a synchronous `fstat`, and `loadExternalData` reads them synchronously,
 * in 16 MiB pieces (use {@link loadOnnxModel} to read them without blocking).
 *
 * @throws {OnnxError} INVALID_MODEL_FILE as {@link loadOnnxModel}.
 */
export function loadOnnxModelFromBuffer(bytes: Uint8Array, options: LoadOnnxModelFromBufferOptions = {}): LoadedOnnxModel {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('loadOnnxModelFromBuffer: bytes must be a Uint8Array.');
  const model = decodeModel(bytes, options.source);
  const external = externalTensors(model, options.baseDirectory);
  if (options.baseDirectory === undefined) {
    if (external.length > 0 && options.loadExternalData === true) {
      throw new TypeError('loadOnnxModelFromBuffer: the model has external data; pass baseDirectory to load it.');
    }
    return loadedModel(model, undefined, undefined, false);
  }
  const checked = new Map<string, number>();
  for (const { tensor, source } of external) {
    const info = externalDataInfo(tensor);
    const key = rangeKey(source!, info.length);
    let length = checked.get(key);
    if (length === undefined) {
      length = checkedExternalLength(tensor, source!.file, info);
      checked.set(key, length);
    }
    setExternalDataSource(tensor, { ...source!, length });
  }
  if (options.loadExternalData === true) {
    for (const { tensor } of external) inlineExternalTensor(tensor, readExternalTensorBytesSync(tensor));
  }
  return loadedModel(model, undefined, options.baseDirectory, external.length > 0 && options.loadExternalData !== true);
}
