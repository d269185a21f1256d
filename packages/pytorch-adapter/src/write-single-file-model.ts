import { rm } from 'node:fs/promises';
import path from 'node:path';

import { loadOnnxModel, saveOnnxModel } from '@gpux/onnx';

/**
 * Writes the exporter's model (`exportedPath`, its weights in external data files of its own work
 * folder) as one self-contained `.onnx` file at `destination`, with @gpux/onnx's `saveOnnxModel`:
 * the graph is read without the weights, and each tensor's bytes are streamed from the data file
 * into the new file, so the weights are never all in memory. The work folder is removed afterwards;
 * on failure or cancellation `saveOnnxModel` leaves no partial file behind.
 *
 * @throws {RangeError} when the weights do not fit protobuf's 2 GiB limit (the Python side only asks
 *   for a single file below `externalDataThresholdBytes`, 1.9 GB by default).
 * @throws OnnxError `CANCELLED` when `signal` aborts (`ConversionError.isInstance` matches it too).
 */
export async function writeSingleFileModel(exportedPath: string, destination: string, signal?: AbortSignal): Promise<void> {
  const model = await loadOnnxModel(exportedPath);
  await saveOnnxModel(model, destination, { externalData: false, signal });
  await rm(path.dirname(exportedPath), { recursive: true, force: true });
}
