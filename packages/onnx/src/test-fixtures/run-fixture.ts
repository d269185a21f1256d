/**
 * Test-only: runs a Python fixture script of this folder. The interpreters come from
 * `@gpux/test-helpers`' findTestPython without converter-core's builder (@gpux/onnx sits below
 * converter-core): `GPUX_TEST_PYTHON` / `GPUX_TEST_TF_PYTHON`, else the managed environments that
 * `gpux-convert setup all` (run first by the test command) built.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

/** Runs a fixture script of this folder and returns its last stdout line parsed as JSON (or null). */
export function runFixture(python: string, script: string, args: string[]): unknown {
  const result = spawnSync(python, [path.join(__dirname, script), ...args], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, PYTHONWARNINGS: 'ignore', TF_CPP_MIN_LOG_LEVEL: '3', CUDA_VISIBLE_DEVICES: '' },
  });
  if (result.status !== 0) {
    throw new Error(`${script} failed (${String(result.status ?? result.signal)}):\n${result.stderr.slice(-4000)}`);
  }
  const lines = result.stdout.trim().split('\n');
  const last = lines[lines.length - 1] ?? '';
  return last.startsWith('{') || last.startsWith('[') ? JSON.parse(last) : null;
}
