import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { ensurePythonEnvironment } from '@gpux/converter-core';
import { findTestPython } from '@gpux/test-helpers';

const execFileAsync = promisify(execFile);

/** Builds the tiny random-weight BERT classifier of src/test-fixtures/make_tiny_bert.py into `directory`. Test helper. */
export async function makeTinyBert(directory: string): Promise<void> {
  const pythonExecutable = await findTestPython('pytorch', { ensurePythonEnvironment });
  await execFileAsync(pythonExecutable, [path.join(__dirname, '..', 'test-fixtures', 'make_tiny_bert.py'), directory], { maxBuffer: 16 * 1024 * 1024 });
}
