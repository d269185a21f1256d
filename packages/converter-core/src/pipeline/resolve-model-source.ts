import { stat } from 'node:fs/promises';
import path from 'node:path';
import { parseModelId, RegistryError, type ModelManager } from '@gpux/model-manager';
import type { ModelSource } from '../adapter';
import { ConversionError } from '../conversion-error';
import type { ProgressEvent } from '../progress-event';

/**
 * Turns the `source` option into a {@link ModelSource} on local disk. Local paths are used in place
 * (a manager that handles them, such as `LocalModelManager`, only supplies the content revision);
 * registry ids are pulled with the first manager whose `canHandle` accepts them, their byte progress
 * mapped to `download` events.
 *
 * @throws ConversionError `SOURCE_NOT_FOUND` when a local path does not exist; `UNSUPPORTED_FORMAT`
 *   when no manager handles a registry id; `CANCELLED` when the pull is cancelled. Registry errors
 *   pass through.
 */
export async function* resolveModelSource(
  source: string | ModelSource,
  managers: readonly ModelManager[],
  signal: AbortSignal | undefined,
): AsyncGenerator<ProgressEvent, ModelSource, void> {
  if (typeof source !== 'string') return { ...source, path: path.resolve(source.path) };
  const parsed = parseModelId(source);
  const manager = managers.find((candidate) => candidate.canHandle(source));
  if (parsed.registry === 'local') {
    const info = await stat(parsed.id).catch(() => undefined);
    if (info === undefined) {
      throw new ConversionError('SOURCE_NOT_FOUND', `The model path ${parsed.id} does not exist. Pass an existing model file or directory, or a registry id such as "org/name".`, {
        details: { source },
      });
    }
    const local: ModelSource = { path: parsed.id, kind: info.isDirectory() ? 'directory' : 'file', id: parsed.id };
    if (manager === undefined) return local;
    const snapshot = yield* pullWithProgress(manager, source, undefined, signal, false);
    return { ...local, revision: snapshot.revision };
  }
  if (manager === undefined) {
    throw new ConversionError(
      'UNSUPPORTED_FORMAT',
      `No model manager can fetch "${source}". Pass modelManagers: [new HuggingFaceManager()] (from @gpux/hf-manager), or a local path.`,
      { details: { source, managers: managers.map((candidate) => candidate.kind) } },
    );
  }
  const snapshot = yield* pullWithProgress(manager, parsed.id, parsed.revision, signal, true);
  return { path: snapshot.directory, kind: 'directory', id: snapshot.id, revision: snapshot.revision };
}

/** Pulls through a manager; byte progress becomes `download` events when `reportDownload` (registries, not local hashing). */
async function* pullWithProgress(manager: ModelManager, id: string, revision: string | undefined, signal: AbortSignal | undefined, reportDownload: boolean) {
  const pull = manager.pullModelIter(id, { revision, signal });
  let downloading = false;
  const started = performance.now();
  try {
    for (;;) {
      const step = await pull.next();
      if (step.done) {
        if (downloading) yield { type: 'phase-end', phase: 'download', durationMs: Math.round(performance.now() - started) } satisfies ProgressEvent;
        return step.value;
      }
      const event = step.value;
      if (event.type === 'bytes-progress' && reportDownload) {
        if (!downloading) {
          downloading = true;
          yield { type: 'phase-start', phase: 'download' } satisfies ProgressEvent;
        }
        yield { type: 'bytes-progress', phase: 'download', label: event.path, transferredBytes: event.overallTransferredBytes, totalBytes: event.overallTotalBytes } satisfies ProgressEvent;
      } else if (event.type === 'retry') {
        yield { type: 'message', phase: 'download', level: 'warning', message: `Retrying ${event.path ?? 'request'} (attempt ${event.attempt}): ${event.reason}` } satisfies ProgressEvent;
      } else if (event.type === 'resolve') {
        yield { type: 'message', phase: 'resolve', level: 'info', message: `Resolved ${event.id} to revision ${event.revision}` } satisfies ProgressEvent;
      }
    }
  } catch (error) {
    if (RegistryError.isInstance(error) && error.code === 'CANCELLED') {
      throw new ConversionError('CANCELLED', 'The conversion was cancelled while fetching the model.', { cause: error });
    }
    throw error;
  }
}
