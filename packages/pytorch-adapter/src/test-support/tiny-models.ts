import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

import { ensurePythonEnvironment } from '@gpux/converter-core';
import { findTestPython } from '@gpux/test-helpers';

const execFileAsync = promisify(execFile);

/** What the fixture script reports per model. */
export interface TinyModel {
  /** pickle-payload: the file that unpickling its payload would create. */
  marker?: string;
  path: string;
  module?: string;
  prompt?: number[];
  greedyTokens?: number[];
  /** Encoder-decoder models: the first decoder input token. */
  decoderStartTokenId?: number;
  /** bert-qa: bytes of its weights (float32). */
  weightBytes?: number;
}

/** The interpreter of the PyTorch environment (test-helpers' findTestPython). Test helper. */
export function pytorchPython(): Promise<string> {
  return findTestPython('pytorch', { ensurePythonEnvironment });
}

/** Builds tiny seeded random-weight models with src/test-fixtures/make_tiny_models.py. Test helper. */
export async function makeTinyModels(directory: string, models: string[]): Promise<Record<string, TinyModel>> {
  const python = await pytorchPython();
  const script = path.join(__dirname, '..', 'test-fixtures', 'make_tiny_models.py');
  const child = execFileAsync(python, [script], { maxBuffer: 16 * 1024 * 1024 });
  child.child.stdin?.end(JSON.stringify({ directory, models }));
  const { stdout } = await child;
  return JSON.parse(stdout) as Record<string, TinyModel>;
}
