/**
 * ONNX external data: tensors whose bytes live in a side file (`data_location = EXTERNAL`,
 * `external_data` entries `location`, `offset`, `length`, `checksum`). Locations are relative to
 * the model's folder and may not leave it (as onnx and onnxruntime require).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
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

/**
 * Where `loadOnnxModel` found a tensor's external bytes: the folder its `location` is relative to
 * (the model's folder), the data file, and the byte range, checked to exist when the model was
 * loaded. It is data on the tensor ({@link ExternalTensorProto.externalSource}), so a copy such as
 * `{ ...tensor }` keeps it. It is not part of the ONNX schema and is never written to a file.
 */
export interface ExternalDataSource {
  /** The folder the tensor's `location` entry is resolved against. */
  baseDirectory: string;
  /** The absolute path of the data file. */
  file: string;
  offset: number;
  length: number;
}

/** A tensor as `loadOnnxModel` leaves an external one: with the folder its data lives in. */
export interface ExternalTensorProto extends TensorProto {
  externalSource?: ExternalDataSource;
}

/** `TensorProto.DataLocation.EXTERNAL`. */
export const DATA_LOCATION_EXTERNAL = 1;

/**
 * Reads are done in pieces of at most this many bytes, so that no single read call holds the
 * thread for a whole multi-gigabyte tensor.
 */
const READ_CHUNK_BYTES = 16 * 1024 * 1024;

/** The recorded location of a loaded external tensor (undefined for other tensors). */
export function externalDataSource(tensor: TensorProto): ExternalDataSource | undefined {
  return isExternalTensor(tensor) ? (tensor as ExternalTensorProto).externalSource : undefined;
}

/** Records where a loaded tensor's external data is (done by `loadOnnxModel`). */
export function setExternalDataSource(tensor: TensorProto, source: ExternalDataSource): void {
  (tensor as ExternalTensorProto).externalSource = source;
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

/** The data file and byte range of an external tensor, from `baseDirectory` or the recorded source. */
function externalRange(tensor: TensorProto, baseDirectory: string | undefined, caller: string): { file: string; info: ExternalDataInfo } {
  const directory = baseDirectory ?? externalDataSource(tensor)?.baseDirectory;
  if (directory === undefined) {
    throw new TypeError(
      `${caller}: tensor "${tensor.name ?? ''}" has external data; pass the model's folder as baseDirectory (it is only recorded on tensors of models loaded from a path or with a baseDirectory).`,
    );
  }
  const info = externalDataInfo(tensor);
  return { file: resolveExternalDataPath(directory, info.location), info };
}

/**
 * Reads a tensor's external bytes into a fresh, aligned Uint8Array (one copy), asynchronously
 * through a FileHandle, in pieces of at most 16 MiB: the event loop stays free while it reads.
 * The tensor's `externalData` entries say which bytes; the folder is `baseDirectory` or, when
 * omitted, the one `loadOnnxModel` recorded on the tensor (kept by copies of it).
 *
 * @param baseDirectory - the model's folder; defaults to the folder recorded on the tensor.
 * @throws {OnnxError} INVALID_MODEL_FILE when the file is missing or too short.
 * @throws {TypeError} when no base folder is known.
 * @example
 * ```ts
 * const bytes = await readExternalTensorBytes(model.graph!.initializer[0]!);
 * ```
 */
export async function readExternalTensorBytes(tensor: TensorProto, baseDirectory?: string): Promise<Uint8Array> {
  const { file, info } = externalRange(tensor, baseDirectory, 'readExternalTensorBytes');
  const length = await checkedExternalLengthAsync(tensor, file, info);
  const bytes = new Uint8Array(length);
  const handle = await open(file, 'r');
  try {
    let done = 0;
    while (done < length) {
      const { bytesRead } = await handle.read(bytes, done, Math.min(READ_CHUNK_BYTES, length - done), info.offset + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
  } finally {
    await handle.close();
  }
  return bytes;
}

/**
 * The synchronous form of {@link readExternalTensorBytes}, for the synchronous APIs that must stay
 * so (`tensorToTypedArray`, `tensorRawBytes` and the graph passes built on them rewrite a model in
 * one synchronous sweep). It reads in pieces of at most 16 MiB, so no single read call blocks for a
 * whole large tensor, but the whole read still runs on the calling thread: prefer the async form
 * wherever the caller can await.
 *
 * @throws {OnnxError} INVALID_MODEL_FILE when the file is missing or too short.
 * @throws {TypeError} when no base folder is known.
 */
export function readExternalTensorBytesSync(tensor: TensorProto, baseDirectory?: string): Uint8Array {
  const { file, info } = externalRange(tensor, baseDirectory, 'readExternalTensorBytesSync');
  const length = checkedExternalLength(tensor, file, info);
  const bytes = new Uint8Array(length);
  const descriptor = openSync(file, 'r');
  try {
    let done = 0;
    while (done < length) {
      const read = readSync(descriptor, bytes, done, Math.min(READ_CHUNK_BYTES, length - done), info.offset + done);
      if (read === 0) break;
      done += read;
    }
  } finally {
    closeSync(descriptor);
  }
  return bytes;
}

function missingFileError(tensor: TensorProto, file: string, info: ExternalDataInfo, cause: unknown): OnnxError {
  return new OnnxError(
    'INVALID_MODEL_FILE',
    `The external data file ${file} of tensor "${tensor.name ?? ''}" is missing or unreadable. Copy "${info.location}" next to the model file (it must stay beside the .onnx file).`,
    { cause, details: { file, location: info.location, tensor: tensor.name } },
  );
}

function checkedRangeLength(tensor: TensorProto, file: string, info: ExternalDataInfo, size: number): number {
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
    throw missingFileError(tensor, file, info, error);
  }
  return checkedRangeLength(tensor, file, info, size);
}

/** {@link checkedExternalLength} without blocking (a `stat` of the file). */
export async function checkedExternalLengthAsync(tensor: TensorProto, file: string, info: ExternalDataInfo): Promise<number> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (error) {
    throw missingFileError(tensor, file, info, error);
  }
  return checkedRangeLength(tensor, file, info, size);
}
