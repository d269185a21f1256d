/** Merges initializers with the same data type, dims and bytes. */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { ModelProto, TensorProto } from '@gpux/onnx';
import { DataType, onnxModelSourcePath, tensorRawBytes, tensorToTypedArray } from '@gpux/onnx';
import { graphInputNames, graphOutputNames, mainGraph, replaceReads } from './graph-names';
import { passReport, type PassReport } from './pass-report';

/**
 * Keeps one initializer of each group with identical data type, dims and bytes; readers of the
 * others read the kept one. Initializers that are graph inputs or outputs, and string tensors,
 * are left alone.
 *
 * @throws {TypeError} when `model` has no graph.
 * @example
 * ```ts
 * deduplicateInitializers(model).counts.initializersMerged;
 * ```
 */
export function deduplicateInitializers(model: ModelProto): PassReport {
  const graph = mainGraph(model, 'deduplicateInitializers');
  const source = onnxModelSourcePath(model);
  const baseDirectory = source === undefined ? undefined : path.dirname(source);
  const pinned = new Set([...graphInputNames(graph), ...graphOutputNames(graph)]);
  const kept = new Map<string, string>();
  const removed = new Set<TensorProto>();
  let bytesSaved = 0;
  for (const tensor of graph.initializer) {
    const name = tensor.name ?? '';
    if (pinned.has(name) || tensor.dataType === DataType.STRING) continue;
    const bytes = tensorBytes(tensor, baseDirectory);
    const key = `${tensor.dataType ?? 0}|${tensor.dims.join('x')}|${createHash('sha256').update(bytes).digest('hex')}`;
    const canonical = kept.get(key);
    if (canonical === undefined) {
      kept.set(key, name);
      continue;
    }
    replaceReads(graph, name, canonical);
    removed.add(tensor);
    bytesSaved += bytes.byteLength;
  }
  graph.initializer = graph.initializer.filter((tensor) => !removed.has(tensor));
  return passReport('deduplicate-initializers', { initializersMerged: removed.size, bytesSaved });
}

function tensorBytes(tensor: TensorProto, baseDirectory: string | undefined): Uint8Array {
  const raw = tensorRawBytes(tensor, baseDirectory);
  if (raw !== undefined) return raw;
  const values = tensorToTypedArray(tensor, { halfPrecision: 'bits' });
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}
