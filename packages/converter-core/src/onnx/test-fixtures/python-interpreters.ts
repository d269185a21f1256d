/**
 * Test-only: the Python interpreters the ONNX IO tests drive. Until converter-core's managed
 * environments (`ensurePythonEnvironment`) land, they come from GPUX_TEST_TORCH_PYTHON /
 * GPUX_TEST_TF_PYTHON, falling back to the machine's ready probe environments.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

/** The interpreter with torch, onnx, onnxscript and onnxruntime. */
export function torchPython(): string {
  return process.env.GPUX_TEST_TORCH_PYTHON ?? '/tmp/probe-torch/bin/python';
}

/** The interpreter with tensorflow, tf2onnx, onnx and onnxruntime. */
export function tensorflowPython(): string {
  return process.env.GPUX_TEST_TF_PYTHON ?? '/tmp/probe-tf/bin/python';
}

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
