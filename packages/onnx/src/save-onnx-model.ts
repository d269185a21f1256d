/** Saving ONNX models: sizes first, then streamed chunks, `.incomplete` files renamed at the end. */
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { OnnxError } from './onnx-error';
import { ChunkWriter, SizeCalculator, encodeMessage, encodeMessageToBytes } from './encode-message';
import { defaultExternalDataFileName, planExternalData } from './external-data-plan';
import { ModelSpec } from './onnx-schema';
import type { ModelProto } from './onnx-types';
import { writeChunks } from './write-chunks';

/** Options of {@link saveOnnxModel}. */
export interface SaveOnnxModelOptions {
  /**
   * Where tensor data goes. `true`: initializers of at least `sizeThreshold` bytes (and every tensor
   * that was external in the source) go to the external data file. `false`: everything inline
   * (external source tensors are streamed into the model). `'auto'`: external when the model would
   * exceed `autoThresholdBytes` or when the source model already had external data.
   * @default 'auto'
   */
  externalData?: 'auto' | boolean;
  /** File name of the external data file, in the model's folder. @default '<model file name>.data' */
  externalDataFileName?: string;
  /** Smallest tensor (in bytes) moved to external data. @default 1024 */
  sizeThreshold?: number;
  /** Serialized size above which `'auto'` uses external data. @default 2147483647 (protobuf's limit) */
  autoThresholdBytes?: number;
  /** Align each tensor's offset in the data file to this many bytes (e.g. 4096 for mmap). @default 1 */
  alignment?: number;
  /** Also move tensors held by node attributes (Constant values) to external data. @default false */
  convertAttributeTensors?: boolean;
  signal?: AbortSignal;
}

/** What {@link saveOnnxModel} wrote. */
export interface SaveOnnxModelResult {
  path: string;
  bytes: number;
  /** The external data file, when one was written. */
  externalDataPath?: string;
  externalDataBytes: number;
  externalTensorCount: number;
}

/**
 * A progress event of {@link saveOnnxModelIter}. It has the shape of `@gpux/converter-core`'s
 * `ProgressEvent` for phase `'write'`, so a conversion forwards it as it is.
 */
export type SaveOnnxModelEvent =
  | { type: 'phase-start'; phase: 'write'; label?: string }
  | { type: 'phase-end'; phase: 'write'; label?: string; durationMs: number }
  | { type: 'bytes-progress'; phase: 'write'; label?: string; transferredBytes: number; totalBytes?: number };

const PROTOBUF_LIMIT = 2 ** 31 - 1;

/**
 * Saves a model as an async generator of progress events (phase `'write'`), returning what was
 * written. Nothing is left behind on failure or cancellation.
 *
 * @throws {OnnxError} CANCELLED when `signal` aborts; INVALID_MODEL_FILE when external
 * source data is missing.
 * @throws {RangeError} when `externalData: false` would exceed protobuf's 2 GiB limit.
 */
export async function* saveOnnxModelIter(
  model: ModelProto,
  filePath: string,
  options: SaveOnnxModelOptions = {},
): AsyncGenerator<SaveOnnxModelEvent, SaveOnnxModelResult, void> {
  if (typeof filePath !== 'string' || filePath === '') throw new TypeError(`saveOnnxModel: filePath must be a non-empty string, got ${String(filePath)}.`);
  const sizeThreshold = options.sizeThreshold ?? 1024;
  const alignment = options.alignment ?? 1;
  if (!Number.isInteger(sizeThreshold) || sizeThreshold < 0) throw new RangeError(`saveOnnxModel: sizeThreshold must be a non-negative integer, got ${sizeThreshold}.`);
  if (!Number.isInteger(alignment) || alignment < 1) throw new RangeError(`saveOnnxModel: alignment must be a positive integer, got ${alignment}.`);
  const absolute = path.resolve(filePath);
  const location = options.externalDataFileName ?? defaultExternalDataFileName(absolute);
  if (location.includes('/') || location.includes('\\') || location === '' || location === '.' || location === '..') {
    throw new RangeError(`saveOnnxModel: externalDataFileName must be a plain file name, got "${location}".`);
  }
  const plan = planExternalData(model, {
    externalData: options.externalData ?? 'auto',
    location,
    sizeThreshold,
    autoThresholdBytes: options.autoThresholdBytes ?? PROTOBUF_LIMIT,
    alignment,
    convertAttributeTensors: options.convertAttributeTensors ?? false,
  });
  if (plan.modelBytes > PROTOBUF_LIMIT) {
    throw new RangeError(
      `saveOnnxModel: the model would be ${plan.modelBytes} bytes, above protobuf's 2 GiB limit; use externalData: true or 'auto'.`,
    );
  }
  const sizes = new SizeCalculator(plan.substitute);
  const writer = new ChunkWriter();
  encodeMessage(writer, sizes, model, ModelSpec);
  writer.flush();

  const dataPath = path.join(path.dirname(absolute), location);
  const written: string[] = [];
  const totalBytes = plan.modelBytes + plan.dataBytes;
  yield { type: 'phase-start', phase: 'write', label: absolute };
  const started = Date.now();
  try {
    await mkdir(path.dirname(absolute), { recursive: true });
    if (plan.dataChunks.length > 0 || plan.externalTensorCount > 0) {
      written.push(`${dataPath}.incomplete`);
      for await (const bytes of writeChunks(`${dataPath}.incomplete`, plan.dataChunks, options.signal)) {
        yield { type: 'bytes-progress', phase: 'write', label: location, transferredBytes: bytes, totalBytes };
      }
    }
    written.push(`${absolute}.incomplete`);
    for await (const bytes of writeChunks(`${absolute}.incomplete`, writer.chunks, options.signal)) {
      yield { type: 'bytes-progress', phase: 'write', label: path.basename(absolute), transferredBytes: plan.dataBytes + bytes, totalBytes };
    }
    options.signal?.throwIfAborted();
    if (written.length === 2) await rename(`${dataPath}.incomplete`, dataPath);
    await rename(`${absolute}.incomplete`, absolute);
  } catch (error) {
    await Promise.all(written.map((file) => rm(file, { force: true })));
    if (options.signal?.aborted === true) {
      throw new OnnxError('CANCELLED', `Saving ${absolute} was cancelled; no files were left behind.`, { cause: error });
    }
    throw error;
  }
  yield { type: 'phase-end', phase: 'write', label: absolute, durationMs: Date.now() - started };
  return {
    path: absolute,
    bytes: plan.modelBytes,
    ...(written.length === 2 ? { externalDataPath: dataPath } : {}),
    externalDataBytes: plan.dataBytes,
    externalTensorCount: plan.externalTensorCount,
  };
}

/**
 * Saves a model to `filePath`, streaming tensor bytes from their views (never concatenated) and
 * from source external data files. Writes `<file>.incomplete` (and `<data>.incomplete`), then renames.
 *
 * @throws {OnnxError} CANCELLED when `signal` aborts.
 * @example
 * ```ts
 * const model = await loadOnnxModel('in.onnx');
 * await saveOnnxModel(model, 'out.onnx', { externalData: true }); // out.onnx + out.onnx.data
 * ```
 */
export async function saveOnnxModel(
  model: ModelProto,
  filePath: string,
  options: SaveOnnxModelOptions & { onProgress?: (event: SaveOnnxModelEvent) => void } = {},
): Promise<SaveOnnxModelResult> {
  const events = saveOnnxModelIter(model, filePath, options);
  for (;;) {
    const step = await events.next();
    if (step.done === true) return step.value;
    options.onProgress?.(step.value);
  }
}

/**
 * Serializes a model into one buffer, tensors kept as they are (external ones stay references).
 * Meant for small models (onnxruntime sessions from bytes, tests); use {@link saveOnnxModel} for files.
 *
 * @example
 * ```ts
 * const session = await InferenceSession.create(serializeOnnxModel(model));
 * ```
 */
export function serializeOnnxModel(model: ModelProto): Uint8Array {
  return encodeMessageToBytes(model, ModelSpec);
}
