import { copyFile, readdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { computeFileSha256 } from '@gpux/model-manager';
import type { ModelSource } from '../adapter';
import type { ArtifactRecord } from '../report/conversion-report';
import { COPIED_SOURCE_FILES } from '../report/read-source-configs';
import { throwIfCancelled } from '../validation/throw-if-cancelled';

/** Name of the report file in the output directory. */
export const CONVERSION_REPORT_FILE = 'conversion-report.json';
/** Name of the GPUX config file in the output directory. */
export const GPUX_CONFIG_FILE = 'gpux.yml';

/** The directory whose configs are copied: the source directory, or the folder of a source file. */
export function sourceConfigDirectory(source: ModelSource): string {
  return source.kind === 'directory' ? source.path : path.dirname(source.path);
}

/** Copies the config, tokenizer and preprocessing files that exist in the source directory; returns their names. */
export async function copySourceFiles(sourceDirectory: string, outputDirectory: string, signal?: AbortSignal): Promise<string[]> {
  const present = new Set(await readdir(sourceDirectory).catch(() => [] as string[]));
  const copied: string[] = [];
  for (const name of COPIED_SOURCE_FILES) {
    if (!present.has(name)) continue;
    throwIfCancelled(signal);
    await copyFile(path.join(sourceDirectory, name), path.join(outputDirectory, name));
    copied.push(name);
  }
  return copied;
}

async function listFiles(directory: string, prefix = ''): Promise<string[]> {
  const entries = await readdir(directory, { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries.sort((left, right) => (left.name < right.name ? -1 : left.name > right.name ? 1 : 0))) {
    const relative = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) files.push(...(await listFiles(path.join(directory, entry.name), relative)));
    else if (entry.isFile()) files.push(relative);
  }
  return files;
}

/**
 * Lists every file of the output directory with its size and sha256. `models` maps the relative
 * path of each ONNX file to its variant and exported model name.
 */
export async function collectArtifacts(
  outputDirectory: string,
  models: ReadonlyMap<string, { variant: string; modelName: string }>,
  signal?: AbortSignal,
): Promise<ArtifactRecord[]> {
  const artifacts: ArtifactRecord[] = [];
  for (const relative of await listFiles(outputDirectory)) {
    throwIfCancelled(signal);
    const { sha256, size } = await computeFileSha256(path.join(outputDirectory, ...relative.split('/')), { signal });
    const model = models.get(relative);
    const kind: ArtifactRecord['kind'] =
      model !== undefined ? 'model' : relative.startsWith('onnx/') ? 'external-data' : relative === GPUX_CONFIG_FILE ? 'metadata' : 'config';
    artifacts.push({ path: relative, kind, ...(model === undefined ? {} : { variant: model.variant, modelName: model.modelName }), bytes: size, sha256 });
  }
  return artifacts;
}

/** Writes a text file atomically (`.incomplete`, then rename). */
export async function writeTextFile(filePath: string, text: string): Promise<void> {
  await writeFile(`${filePath}.incomplete`, text, 'utf8');
  await rename(`${filePath}.incomplete`, filePath);
}
