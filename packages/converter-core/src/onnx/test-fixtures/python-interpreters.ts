/**
 * Test-only: the Python interpreters the ONNX IO tests drive, obtained through converter-core's
 * `ensurePythonEnvironment` for the adapters' requirement files (built once by
 * `gpux-convert setup all`, which the test command runs first). An interpreter that already has the
 * packages can be named with GPUX_TEST_TORCH_PYTHON / GPUX_TEST_TF_PYTHON instead.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ensurePythonEnvironment } from '../../python/python-environment';

const repositoryRoot = path.resolve(__dirname, '../../../../..');

async function interpreter(name: string, adapter: string, variable: string): Promise<string> {
  const given = process.env[variable];
  const environment = await ensurePythonEnvironment(
    { name, requirementsFile: path.join(repositoryRoot, 'packages', adapter, 'python', 'requirements.txt') },
    given === undefined ? {} : { pythonExecutable: given },
  );
  return environment.pythonExecutable;
}

/** The interpreter with torch, onnx, onnxscript and onnxruntime. */
export function torchPython(): Promise<string> {
  return interpreter('pytorch', 'pytorch-adapter', 'GPUX_TEST_TORCH_PYTHON');
}

/** The interpreter with tensorflow, tf2onnx, onnx and onnxruntime. */
export function tensorflowPython(): Promise<string> {
  return interpreter('tensorflow', 'tf-adapter', 'GPUX_TEST_TF_PYTHON');
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
