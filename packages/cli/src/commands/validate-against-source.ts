import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConversionError, validateOnnxModelIter, type ModelSource, type ValidationReport, type ValidationTolerances } from '@gpux/converter-core';
import { parseModelId } from '@gpux/model-manager';
import { createAdapters } from '../conversion/create-adapters';
import { createModelManagers } from '../create-model-managers';
import { drainWithRenderer } from '../drain-with-renderer';
import type { ProgressRenderer } from '../output/progress-renderer';

/** Options of {@link validateAgainstSource}. */
export interface ValidateAgainstSourceOptions {
  modelPath: string;
  /** The original model: a local directory or file, or a hub id (pulled through the hub cache). */
  source: string;
  tolerances: ValidationTolerances;
  renderer: ProgressRenderer;
  pythonExecutable?: string;
  signal: AbortSignal;
}

async function resolveSource(source: string, signal: AbortSignal): Promise<ModelSource> {
  const parsed = parseModelId(source);
  if (parsed.registry === 'local') {
    const info = await stat(parsed.id).catch(() => undefined);
    if (info === undefined) throw new ConversionError('UNSUPPORTED_FORMAT', `The source ${parsed.id} does not exist.`, { details: { source } });
    return { path: parsed.id, kind: info.isDirectory() ? 'directory' : 'file' };
  }
  const manager = createModelManagers({}).find((candidate) => candidate.canHandle(source));
  if (manager === undefined) throw new ConversionError('UNSUPPORTED_FORMAT', `No model manager can fetch "${source}".`, { details: { source } });
  const snapshot = await manager.pullModel(source, { signal });
  return { path: snapshot.directory, kind: 'directory', id: snapshot.id, revision: snapshot.revision };
}

/**
 * Validates an ONNX file against its source framework: the adapter that recognises `source` exports
 * it once more into a scratch directory to produce reference inputs and outputs (from PyTorch or
 * TensorFlow), and `modelPath` is run on those inputs. The scratch directory is removed.
 *
 * @throws ConversionError `UNSUPPORTED_FORMAT` when no adapter recognises the source; the adapter's codes.
 */
export async function validateAgainstSource(options: ValidateAgainstSourceOptions): Promise<ValidationReport> {
  const source = await resolveSource(options.source, options.signal);
  const adapters = createAdapters().filter((adapter) => adapter.framework !== 'onnx');
  let selected: { adapter: (typeof adapters)[number]; detection: NonNullable<Awaited<ReturnType<(typeof adapters)[number]['detect']>>> } | undefined;
  for (const adapter of adapters) {
    const detection = await adapter.detect(source);
    if (detection !== undefined) {
      selected = { adapter, detection };
      break;
    }
  }
  if (selected === undefined) throw new ConversionError('UNSUPPORTED_FORMAT', `No adapter recognises ${source.path} as a PyTorch or TensorFlow model.`, { details: { source: source.path } });
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'gpux-validate-'));
  try {
    const outputDirectory = path.join(scratch, 'onnx');
    const workDirectory = path.join(scratch, 'work');
    await mkdir(outputDirectory);
    await mkdir(workDirectory);
    const exported = await drainWithRenderer(
      selected.adapter.export({
        source,
        detection: selected.detection,
        outputDirectory,
        workDirectory,
        referenceCaseCount: 2,
        ...(options.pythonExecutable === undefined ? {} : { python: { pythonExecutable: options.pythonExecutable } }),
        signal: options.signal,
      }),
      options.renderer,
    );
    const main = exported.files.find((file) => file.name === 'model') ?? exported.files[0];
    const cases = exported.referenceCases.filter((referenceCase) => referenceCase.modelName === main?.name);
    if (cases.length === 0) throw new ConversionError('EXPORT_FAILED', `The ${selected.adapter.name} adapter produced no reference outputs for ${source.path}.`, { details: { source: source.path } });
    return await drainWithRenderer(validateOnnxModelIter({ modelPath: options.modelPath, cases, tolerances: options.tolerances, throwOnFailure: false, signal: options.signal }), options.renderer);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
