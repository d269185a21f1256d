import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

import type { DetectionResult, ModelSource } from '@gpux/converter-core';

import { readZipEntryNames } from './read-zip-entry-names';
import { taskFromArchitecture } from './task-from-architecture';

const torchWeightFiles = ['model.safetensors', 'model.safetensors.index.json', 'pytorch_model.bin', 'pytorch_model.bin.index.json'];
const moduleSpecPattern = /^([A-Za-z_][\w.]*):([A-Za-z_]\w*)$/;

/**
 * Recognises a PyTorch source without running Python: a Hugging Face directory (config.json plus
 * torch weights), a TorchScript file (`.pt`/`.pth` zip with `constants.pkl` or `code/` entries,
 * read from the zip's central directory), a `torch.export` archive (`.pt2`), or a
 * `module:function` spec (a path whose last part is `package.module:function`).
 *
 * @returns The detection, or undefined when the source is not one of these.
 * @example
 * ```ts
 * const detection = await detectPytorchSource({ path: '/models/bert', kind: 'directory' });
 * // { framework: 'pytorch', format: 'hf-transformers', architecture: 'BertForMaskedLM', task: 'fill-mask', ... }
 * ```
 */
export async function detectPytorchSource(source: ModelSource): Promise<DetectionResult | undefined> {
  if (typeof source?.path !== 'string' || source.path === '') {
    throw new TypeError(`source.path must be a non-empty string, received ${JSON.stringify(source?.path)}`);
  }
  const moduleSpec = detectModuleSpec(source.path);
  if (moduleSpec !== undefined) return moduleSpec;
  if (!existsSync(source.path)) return undefined;
  if (source.kind === 'directory') return detectDirectory(source.path);
  const extension = path.extname(source.path).toLowerCase();
  if (extension === '.pt2') {
    const names = await readZipEntryNames(source.path);
    if (names === undefined) return undefined;
    return { framework: 'pytorch', format: 'torch-export', reason: `${path.basename(source.path)} is a torch.export archive (.pt2)` };
  }
  if (extension === '.pt' || extension === '.pth') {
    const names = await readZipEntryNames(source.path);
    const scripted = names?.some((name) => name.endsWith('/constants.pkl') || name.includes('/code/'));
    if (scripted !== true) return undefined;
    return {
      framework: 'pytorch',
      format: 'torchscript',
      reason: `${path.basename(source.path)} is a TorchScript archive (zip with constants.pkl/code entries)`,
    };
  }
  return undefined;
}

function detectModuleSpec(sourcePath: string): DetectionResult | undefined {
  if (existsSync(sourcePath)) return undefined;
  const match = moduleSpecPattern.exec(path.basename(sourcePath));
  if (match === null) return undefined;
  return {
    framework: 'pytorch',
    format: 'python-module',
    reason: `${match[0]} names a Python function that builds an nn.Module`,
  };
}

async function detectDirectory(directory: string): Promise<DetectionResult | undefined> {
  const entries = new Set(await readdir(directory));
  if (!entries.has('config.json')) return undefined;
  const torchWeights = torchWeightFiles.filter((name) => entries.has(name));
  const anySafetensors = [...entries].some((name) => name.endsWith('.safetensors'));
  if (torchWeights.length === 0 && !anySafetensors) return undefined;
  let config: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(await readFile(path.join(directory, 'config.json'), 'utf8'));
    if (typeof parsed === 'object' && parsed !== null) config = parsed as Record<string, unknown>;
  } catch {
    // An unreadable config is reported by export (UNSUPPORTED_ARCHITECTURE), not by detection.
  }
  const modelType = typeof config.model_type === 'string' ? config.model_type : undefined;
  const architectures = Array.isArray(config.architectures) ? config.architectures : [];
  const architecture = typeof architectures[0] === 'string' ? architectures[0] : undefined;
  const task = taskFromArchitecture(architecture, modelType);
  const customCode = typeof config.auto_map === 'object' && config.auto_map !== null;
  const weights = torchWeights[0] ?? 'safetensors shards';
  return {
    framework: 'pytorch',
    format: 'hf-transformers',
    ...(architecture === undefined ? {} : { architecture }),
    ...(modelType === undefined ? {} : { modelType }),
    ...(task === undefined ? {} : { task }),
    reason:
      `config.json (${modelType ?? 'no model_type'}) with PyTorch weights (${weights})` +
      (customCode ? '; the model ships custom code (auto_map), which export runs only with trustRemoteCode' : ''),
  };
}
