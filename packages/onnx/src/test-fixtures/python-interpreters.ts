/**
 * Test-only: the Python interpreters the ONNX IO tests drive. @gpux/onnx sits below converter-core,
 * so it does not build environments itself: it finds the managed environments that
 * `gpux-convert setup all` (run first by the test command) built under `<GPUX cache>/python/<hash>/`,
 * by the requirement set their `gpux-environment.json` names. An interpreter that already has the
 * packages can be named with the variables of `@gpux/test-helpers`' TEST_PYTHON_SETS instead
 * (GPUX_TEST_PYTHON / GPUX_TEST_TF_PYTHON, as every package's tests use).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TEST_PYTHON_SETS, type TestPythonName } from '@gpux/test-helpers';

/** The GPUX cache root, in the order `@gpux/model-manager`'s resolveGpuxCacheDirectory uses. */
function gpuxCacheDirectory(): string {
  const nonEmpty = (value: string | undefined): string | undefined => (value !== undefined && value.trim() !== '' ? value : undefined);
  const xdg = nonEmpty(process.env.XDG_CACHE_HOME);
  return path.resolve(nonEmpty(process.env.GPUX_CACHE_DIR) ?? (xdg === undefined ? path.join(os.homedir(), '.cache', 'gpux') : path.join(xdg, 'gpux')));
}

interface EnvironmentManifest {
  requirementSet?: string;
  createdAt?: string;
}

function interpreter(requirementSet: TestPythonName): Promise<string> {
  const variable = TEST_PYTHON_SETS[requirementSet].overrideVariable;
  const given = process.env[variable];
  if (given !== undefined && given !== '') return Promise.resolve(given);
  const root = path.join(gpuxCacheDirectory(), 'python');
  const candidates = (existsSync(root) ? readdirSync(root) : [])
    .filter((name) => !name.includes('.'))
    .flatMap((name) => {
      const manifestFile = path.join(root, name, 'gpux-environment.json');
      const executable = path.join(root, name, 'bin', 'python');
      if (!existsSync(manifestFile) || !existsSync(executable)) return [];
      const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as EnvironmentManifest;
      return manifest.requirementSet === requirementSet ? [{ executable, createdAt: manifest.createdAt ?? '' }] : [];
    })
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  const newest = candidates[0];
  if (newest === undefined) {
    return Promise.reject(
      new Error(`No managed "${requirementSet}" Python environment under ${root}: run \`gpux-convert setup all\` first, or set ${variable} to an interpreter that has the packages.`),
    );
  }
  return Promise.resolve(newest.executable);
}

/** The interpreter with torch, onnx, onnxscript and onnxruntime. */
export function torchPython(): Promise<string> {
  return interpreter('pytorch');
}

/** The interpreter with tensorflow, tf2onnx, onnx and onnxruntime. */
export function tensorflowPython(): Promise<string> {
  return interpreter('tensorflow');
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
