// Test support: the Python interpreter of the TensorFlow requirement set, fixture models built by
// fixtures/make_fixtures.py, and temp directories for exports.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import type { DetectionResult, ExportResult, ProgressEvent, PythonScriptRunner } from '@gpux/converter-core';
import { drainEvents, ensurePythonEnvironment } from '@gpux/converter-core';
import { findTestPython } from '@gpux/test-helpers';

import { createTensorflowAdapter } from '../tensorflow-adapter';
import type { TensorflowAdapterOptions } from '../tensorflow-adapter-options';
import { tensorflowAdapterDirectory } from '../tensorflow-requirements';

const execFileAsync = promisify(execFile);

/** The interpreter of the tensorflow environment (test-helpers' findTestPython: GPUX_TEST_TF_PYTHON, else the managed environment). */
export function tensorflowPython(): Promise<string> {
  return findTestPython('tensorflow', { ensurePythonEnvironment, timeoutMs: 1_800_000 });
}

/**
 * The interpreter of the `tensorflow-transformers` set (transformers 4.57 + tf-keras), for `tf_model.h5`
 * fixtures (test-helpers' findTestPython: GPUX_TEST_TF_TRANSFORMERS_PYTHON, else the managed environment).
 */
export function tensorflowTransformersPython(): Promise<string> {
  return findTestPython('tensorflow-transformers', { ensurePythonEnvironment, timeoutMs: 1_800_000 });
}

/** Builds the named fixtures (see fixtures/make_fixtures.py, or make_hf_fixtures.py when `script` says so) into `directory`. */
export async function buildFixtures(python: string, directory: string, names: string[], scriptName = 'make_fixtures.py'): Promise<void> {
  const script = path.join(tensorflowAdapterDirectory(), 'fixtures', scriptName);
  await execFileAsync(python, [script, directory, ...names], { maxBuffer: 16 * 1024 * 1024, env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' } });
}

export async function makeTemporaryDirectory(prefix: string): Promise<{ directory: string; cleanup: () => Promise<void> }> {
  const directory = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { directory, cleanup: () => rm(directory, { recursive: true, force: true }) };
}

/** Detects and exports `sourcePath` into fresh folders under `root`. */
export async function exportSource(
  sourcePath: string,
  root: string,
  adapterOptions: TensorflowAdapterOptions = {},
  extra: { trustRemoteCode?: boolean; events?: ProgressEvent[]; pythonWorkers?: PythonScriptRunner; name?: string } = {},
): Promise<{ detection: DetectionResult; result: ExportResult }> {
  const adapter = createTensorflowAdapter();
  const kind = sourcePath.endsWith('/') || path.extname(sourcePath) === '' ? 'directory' : 'file';
  const detection = await adapter.detect({ path: sourcePath, kind });
  if (detection === undefined) throw new Error(`not detected: ${sourcePath}`);
  const name = extra.name ?? path.basename(sourcePath).replace(/\W+/g, '-');
  const result = await drainEvents(
    adapter.export({
      source: { path: sourcePath, kind },
      detection,
      outputDirectory: path.join(root, `${name}-onnx`),
      workDirectory: path.join(root, `${name}-work`),
      adapterOptions: adapterOptions as Record<string, unknown>,
      trustRemoteCode: extra.trustRemoteCode,
      pythonWorkers: extra.pythonWorkers,
    }),
    (event) => extra.events?.push(event),
  );
  return { detection, result };
}
