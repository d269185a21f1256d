/** Loading ONNX models from files or buffers, with external data read lazily or up front. */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { OnnxError } from './onnx-error';
import { decodeMessage } from './decode-message';
import {
  checkedExternalLength,
  externalDataInfo,
  isExternalTensor,
  readExternalTensorBytes,
  markLoadedWithExternalData,
  rememberExternalDataDirectory,
  resolveExternalDataPath,
} from './external-data';
import { ModelSpec } from './onnx-schema';
import type { ModelProto } from './onnx-types';
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

const PROTOBUF_LIMIT = 2 ** 31;
const modelFiles = new WeakMap<ModelProto, string>();

/** The path a model was loaded from by {@link loadOnnxModel}, if any. */
export function onnxModelSourcePath(model: ModelProto): string | undefined {
  return modelFiles.get(model);
}

/**
 * Loads an ONNX model file. The file is read once; tensor bytes (`rawData`) are views into that
 * buffer, not copies. External data files are checked to exist and are read lazily unless
 * `loadExternalData` is set.
 *
 * @throws {OnnxError} INVALID_MODEL_FILE when the file is missing, corrupt, truncated, not an
 * ONNX model, or its external data file is missing.
 * @example
 * ```ts
 * const model = await loadOnnxModel('./model.onnx');
 * console.log(model.graph!.node.length, model.opsetImport);
 * ```
 */
export async function loadOnnxModel(filePath: string, options: LoadOnnxModelOptions = {}): Promise<ModelProto> {
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
  const model = loadOnnxModelFromBuffer(bytes, { ...options, baseDirectory: path.dirname(absolute), source: absolute });
  modelFiles.set(model, absolute);
  return model;
}

/**
 * Decodes an ONNX model from bytes. The returned model's `rawData` fields are views into `bytes`:
 * do not reuse the buffer while the model is in use.
 *
 * @throws {OnnxError} INVALID_MODEL_FILE as {@link loadOnnxModel}.
 */
export function loadOnnxModelFromBuffer(bytes: Uint8Array, options: LoadOnnxModelFromBufferOptions = {}): ModelProto {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('loadOnnxModelFromBuffer: bytes must be a Uint8Array.');
  const reader = new WireReader(bytes, options.source);
  const model = decodeMessage(reader, ModelSpec, bytes.byteLength) as unknown as ModelProto;
  if (model.graph === undefined) {
    reader.fail(
      model.irVersion === undefined
        ? 'it has neither an IR version nor a graph (is this an ONNX file?)'
        : 'the model has no graph',
    );
  }
  const checked = new Set<string>();
  forEachTensor(model, (tensor) => {
    if (!isExternalTensor(tensor)) return;
    if (options.baseDirectory === undefined) {
      if (options.loadExternalData === true) {
        throw new TypeError('loadOnnxModelFromBuffer: the model has external data; pass baseDirectory to load it.');
      }
      return;
    }
    rememberExternalDataDirectory(tensor, options.baseDirectory);
    if (options.loadExternalData !== true) markLoadedWithExternalData(model);
    const info = externalDataInfo(tensor);
    const file = resolveExternalDataPath(options.baseDirectory, info.location);
    const key = `${file}\u0000${info.offset}\u0000${String(info.length)}`;
    if (!checked.has(key)) {
      checkedExternalLength(tensor, file, info);
      checked.add(key);
    }
    if (options.loadExternalData === true) {
      tensor.rawData = readExternalTensorBytes(tensor, options.baseDirectory);
      tensor.externalData = [];
      tensor.dataLocation = 0;
    }
  });
  return model;
}
