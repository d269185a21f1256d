/**
 * ONNX external data: tensors whose bytes live in a side file (`data_location = EXTERNAL`,
 * `external_data` entries `location`, `offset`, `length`, `checksum`). Locations are relative to
 * the model's folder and may not leave it (as onnx and onnxruntime require).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import { OnnxError } from './onnx-error';
import type { TensorProto } from './onnx-types';

/** Where a tensor's external bytes are. */
export interface ExternalDataInfo {
  location: string;
  offset: number;
  /** Undefined when the entry is absent (the data runs to the end of the file). */
  length: number | undefined;
  checksum: string | undefined;
}

/** `TensorProto.DataLocation.EXTERNAL`. */
export const DATA_LOCATION_EXTERNAL = 1;

const baseDirectories = new WeakMap<TensorProto, string>();
const modelsLoadedWithExternalData = new WeakSet<object>();

/**
 * Records that a model was loaded (lazily) from a file whose weights live in external data, so that
 * `saveOnnxModel`'s `externalData: 'auto'` keeps writing external data even after a rewrite has
 * replaced every external tensor by a new in-memory one (fp16, int8).
 */
export function markLoadedWithExternalData(model: object): void {
  modelsLoadedWithExternalData.add(model);
}

/** True when {@link markLoadedWithExternalData} recorded the model. */
export function wasLoadedWithExternalData(model: object): boolean {
  return modelsLoadedWithExternalData.has(model);
}

/** Remembers the folder a loaded tensor's external data is relative to. */
export function rememberExternalDataDirectory(tensor: TensorProto, baseDirectory: string): void {
  baseDirectories.set(tensor, baseDirectory);
}

/** The folder recorded for a tensor by `loadOnnxModel`, if any. */
export function externalDataDirectoryOf(tensor: TensorProto): string | undefined {
  return baseDirectories.get(tensor);
}

/** True when the tensor's bytes live in an external file. */
export function isExternalTensor(tensor: TensorProto): boolean {
  return tensor.dataLocation === DATA_LOCATION_EXTERNAL;
}

/**
 * Parses a tensor's `external_data` entries.
 *
 * @throws {OnnxError} INVALID_MODEL_FILE when the location is missing or a number is malformed.
 */
export function externalDataInfo(tensor: TensorProto): ExternalDataInfo {
  const entries = new Map(tensor.externalData.map((entry) => [entry.key ?? '', entry.value ?? '']));
  const location = entries.get('location');
  const problem = (text: string): OnnxError =>
    new OnnxError(
      'INVALID_MODEL_FILE',
      `Tensor "${tensor.name ?? ''}" stores its data externally but ${text}. Re-export the model, or save it again with onnx.save_model(..., save_as_external_data=True).`,
      { details: { tensor: tensor.name } },
    );
  if (location === undefined || location === '') throw problem('has no "location" entry');
  const parseNumber = (key: string): number | undefined => {
    const text = entries.get(key);
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < 0) throw problem(`its "${key}" entry "${text}" is not a non-negative integer`);
    return value;
  };
  return { location, offset: parseNumber('offset') ?? 0, length: parseNumber('length'), checksum: entries.get('checksum') };
}

/**
 * Resolves an external data location against the model's folder.
 *
 * @throws {OnnxError} INVALID_MODEL_FILE when the location is absolute or leaves the folder.
 */
export function resolveExternalDataPath(baseDirectory: string, location: string): string {
  const resolved = path.resolve(baseDirectory, location);
  const relative = path.relative(path.resolve(baseDirectory), resolved);
  if (path.isAbsolute(location) || relative.startsWith('..') || path.isAbsolute(relative)) {
    throw new OnnxError(
      'INVALID_MODEL_FILE',
      `External data location "${location}" must be a relative path inside the model's folder ${baseDirectory}. Move the data file next to the model and fix the location.`,
      { details: { location, baseDirectory } },
    );
  }
  return resolved;
}

/**
 * Reads a tensor's external bytes synchronously into a fresh, aligned Uint8Array (one copy).
 *
 * @param baseDirectory - the model's folder; defaults to the folder `loadOnnxModel` recorded.
 * @throws {OnnxError} INVALID_MODEL_FILE when the file is missing or too short.
 * @throws {TypeError} when no base folder is known.
 */
export function readExternalTensorBytes(tensor: TensorProto, baseDirectory?: string): Uint8Array {
  const directory = baseDirectory ?? baseDirectories.get(tensor);
  if (directory === undefined) {
    throw new TypeError(
      `readExternalTensorBytes: tensor "${tensor.name ?? ''}" has external data; pass the model's folder as baseDirectory (it is only known for models loaded from a path).`,
    );
  }
  const info = externalDataInfo(tensor);
  const file = resolveExternalDataPath(directory, info.location);
  const length = checkedExternalLength(tensor, file, info);
  const bytes = new Uint8Array(length);
  const descriptor = openSync(file, 'r');
  try {
    let done = 0;
    while (done < length) {
      const read = readSync(descriptor, bytes, done, length - done, info.offset + done);
      if (read === 0) break;
      done += read;
    }
  } finally {
    closeSync(descriptor);
  }
  return bytes;
}

/**
 * Returns the byte length of a tensor's external data after checking the file exists and holds it.
 *
 * @throws {OnnxError} INVALID_MODEL_FILE naming the missing or short file.
 */
export function checkedExternalLength(tensor: TensorProto, file: string, info: ExternalDataInfo): number {
  let size: number;
  try {
    const descriptor = openSync(file, 'r');
    try {
      size = fstatSync(descriptor).size;
    } finally {
      closeSync(descriptor);
    }
  } catch (error) {
    throw new OnnxError(
      'INVALID_MODEL_FILE',
      `The external data file ${file} of tensor "${tensor.name ?? ''}" is missing or unreadable. Copy "${info.location}" next to the model file (it must stay beside the .onnx file).`,
      { cause: error, details: { file, location: info.location, tensor: tensor.name } },
    );
  }
  const length = info.length ?? size - info.offset;
  if (info.offset + length > size) {
    throw new OnnxError(
      'INVALID_MODEL_FILE',
      `The external data file ${file} is ${size} bytes, but tensor "${tensor.name ?? ''}" needs bytes ${info.offset}..${info.offset + length}. The data file is truncated or belongs to another model; export or download it again.`,
      { details: { file, size, offset: info.offset, length } },
    );
  }
  return length;
}
