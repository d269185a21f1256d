import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { ensurePythonEnvironment } from '@gpux/converter-core';
import { findTestPython } from '@gpux/test-helpers';

const execFileAsync = promisify(execFile);
const fixtures = path.join(__dirname, '..', 'test-fixtures');

/** The models of src/test-fixtures/make_client_models.py. */
export type ClientModelKind = 'bert-embeddings' | 'gpt2' | 'vit';

/** Builds a tiny random-weight model folder with PyTorch's reference outputs (`reference.json`). Test helper. */
export async function makeClientModel<Reference>(kind: ClientModelKind, directory: string): Promise<Reference> {
  const pythonExecutable = await findTestPython('pytorch', { ensurePythonEnvironment });
  await execFileAsync(pythonExecutable, [path.join(fixtures, 'make_client_models.py'), kind, directory], { maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(await readFile(path.join(directory, 'reference.json'), 'utf8')) as Reference;
}

/**
 * The `bin/` folder of the GPUX runtime environment (the `gpux` program sits beside its interpreter):
 * test-helpers' findTestPython, that is GPUX_TEST_GPUX_RUNTIME_PYTHON, else the managed environment
 * (`gpux-convert setup gpux`).
 */
export async function gpuxBinDirectory(): Promise<string> {
  return path.dirname(await findTestPython('gpux-runtime', { ensurePythonEnvironment }));
}

/** Runs a program and returns its exit code and output, without throwing on a non-zero exit. */
export async function runProgram(file: string, args: string[], options: { cwd?: string } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(file, args, { cwd: options.cwd, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1', COLUMNS: '200' } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failure.code === 'number' ? failure.code : 1, stdout: failure.stdout ?? '', stderr: failure.stderr ?? '' };
  }
}

/** Runs transformers.js (src/test-fixtures/run-transformers-js.mjs) in a child Node process and returns what it printed. */
export async function runTransformersJs<Result>(request: Record<string, unknown>): Promise<Result> {
  const run = await runProgram(process.execPath, [path.join(fixtures, 'run-transformers-js.mjs'), JSON.stringify(request)]);
  if (run.code !== 0) throw new Error(`transformers.js failed (${run.code}): ${run.stderr.slice(-2000)}`);
  const lines = run.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1] as string) as Result;
}

/** Cosine similarity of two vectors. */
export function cosine(left: readonly number[], right: readonly number[]): number {
  let dot = 0;
  let leftNorm = 0;
  let rightNorm = 0;
  left.forEach((value, index) => {
    const other = right[index] as number;
    dot += value * other;
    leftNorm += value * value;
    rightNorm += other * other;
  });
  return dot / Math.sqrt(leftNorm * rightNorm);
}

/** The GPUX runtime driver of src/test-fixtures/run_gpux_runtime.py. */
export const gpuxRuntimeScript = path.join(fixtures, 'run_gpux_runtime.py');
