import { open, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';

import type { DetectionResult, ModelSource } from '@gpux/converter-core';

const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
const MAX_MODEL_JSON_BYTES = 64 * 1024 * 1024;

async function readSlice(filePath: string, position: number, length: number): Promise<Buffer> {
  const handle = await open(filePath, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, Math.max(position, 0));
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

async function exists(filePath: string): Promise<boolean> {
  return stat(filePath).then(
    () => true,
    () => false,
  );
}

function detection(format: string, reason: string, extra: Partial<DetectionResult> = {}): DetectionResult {
  return { framework: 'tensorflow', format, reason, ...extra };
}

/** True when a zip file's central directory names Keras' `config.json` or `metadata.json`. */
async function isKerasArchive(filePath: string, size: number): Promise<boolean> {
  const head = await readSlice(filePath, 0, 4);
  if (head.toString('latin1') !== 'PK\u0003\u0004') return false;
  const tail = await readSlice(filePath, size - 65_536, 65_536);
  const text = tail.toString('latin1');
  return text.includes('config.json') || text.includes('metadata.json');
}

async function isHdf5(filePath: string, size: number): Promise<boolean> {
  // The superblock sits at byte 0, 512, 1024, 2048, ... (HDF5 file format spec, "Format Signature").
  for (let offset = 0; offset < Math.min(size, 8192); offset = offset === 0 ? 512 : offset * 2) {
    if ((await readSlice(filePath, offset, 8)).equals(HDF5_SIGNATURE)) return true;
  }
  return false;
}

async function detectTfjs(filePath: string): Promise<DetectionResult | undefined> {
  const info = await stat(filePath);
  if (info.size > MAX_MODEL_JSON_BYTES) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(filePath, 'utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const model = parsed as { format?: unknown; modelTopology?: unknown; weightsManifest?: unknown };
  if (model.format === 'graph-model' || (model.modelTopology !== undefined && Array.isArray(model.weightsManifest))) {
    const format = typeof model.format === 'string' ? model.format : 'graph-model';
    return detection('tfjs', `${path.basename(filePath)} is a TF.js ${format} (modelTopology + weightsManifest).`);
  }
  return undefined;
}

async function detectDirectory(directory: string): Promise<DetectionResult | undefined> {
  const entries = new Set(await readdir(directory).catch(() => [] as string[]));
  if (entries.has('saved_model.pb') || entries.has('saved_model.pbtxt')) {
    return detection('tf-savedmodel', `${path.basename(directory)} holds a SavedModel (saved_model.pb).`);
  }
  if (entries.has('config.json') && (entries.has('tf_model.h5') || (await exists(path.join(directory, 'saved_model'))))) {
    const config = JSON.parse(await readFile(path.join(directory, 'config.json'), 'utf8').catch(() => '{}')) as {
      architectures?: unknown;
      model_type?: unknown;
    };
    const extra: Partial<DetectionResult> = {};
    if (Array.isArray(config.architectures) && typeof config.architectures[0] === 'string') {
      extra.architecture = config.architectures[0].startsWith('TF') ? config.architectures[0] : `TF${config.architectures[0]}`;
    }
    if (typeof config.model_type === 'string') extra.modelType = config.model_type;
    return detection('hf-tensorflow', 'Hugging Face model directory with TensorFlow weights (tf_model.h5 or saved_model/).', extra);
  }
  if (entries.has('model.json')) return detectTfjs(path.join(directory, 'model.json'));
  return undefined;
}

async function detectFile(filePath: string): Promise<DetectionResult | undefined> {
  const { size } = await stat(filePath);
  const extension = path.extname(filePath).toLowerCase();
  const name = path.basename(filePath);
  if (extension === '.keras' && (await isKerasArchive(filePath, size))) {
    return detection('keras', `${name} is a Keras v3 archive (zip with config.json).`);
  }
  if ((extension === '.h5' || extension === '.hdf5') && (await isHdf5(filePath, size))) {
    return detection('tf-h5', `${name} is an HDF5 file (legacy Keras .h5).`);
  }
  if (extension === '.tflite' && (await readSlice(filePath, 4, 4)).toString('latin1') === 'TFL3') {
    return detection('tflite', `${name} is a TFLite flatbuffer (TFL3 identifier).`);
  }
  if (extension === '.pb') {
    if (name === 'saved_model.pb') return detection('tf-savedmodel', `${name} belongs to a SavedModel directory.`);
    return detection('tf-frozen-graph', `${name} is a GraphDef protobuf outside a SavedModel (frozen graph).`);
  }
  if (extension === '.json') return detectTfjs(filePath);
  return undefined;
}

/**
 * Recognises TensorFlow sources by their files, without running Python: SavedModel directories
 * (`tf-savedmodel`), `.keras` archives (`keras`), HDF5 `.h5` files (`tf-h5`), frozen GraphDef
 * `.pb` files (`tf-frozen-graph`), `.tflite` flatbuffers (`tflite`), TF.js `model.json` files or
 * folders (`tfjs`), and Hugging Face folders whose weights are TensorFlow (`hf-tensorflow`).
 *
 * @returns The detection, or undefined when the source is not a TensorFlow model (or is missing).
 * @example
 * ```ts
 * const detection = await detectTensorflowSource({ path: '/models/mobilenet.keras', kind: 'file' });
 * console.log(detection?.format); // "keras"
 * ```
 */
export async function detectTensorflowSource(source: ModelSource): Promise<DetectionResult | undefined> {
  if (typeof source !== 'object' || source === null || typeof source.path !== 'string' || source.path === '') {
    throw new TypeError(`source.path must be a non-empty string, received ${JSON.stringify((source as { path?: unknown } | null)?.path)}`);
  }
  const info = await stat(source.path).catch(() => undefined);
  if (info === undefined) return undefined;
  return info.isDirectory() ? detectDirectory(source.path) : detectFile(source.path);
}
