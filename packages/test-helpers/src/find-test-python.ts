// Test support: the Python interpreter a test drives, found one way for every package's tests.
import path from 'node:path';
import { findManagedEnvironment } from './find-managed-environment';

/** A requirement set as converter-core's `ensurePythonEnvironment` takes it. */
export interface TestRequirementSet {
  name: string;
  requirementsFile: string;
}

/** A test environment: the requirement set it is built from and the variable that may name an interpreter instead. */
export interface TestPythonSet extends TestRequirementSet {
  overrideVariable: string;
}

/**
 * The Python environments tests use, by what a test needs from them:
 * - `pytorch`: torch, transformers, onnx, onnxscript, onnxruntime (the PyTorch adapter's set);
 * - `tensorflow`: tensorflow-cpu, keras, tf2onnx, onnx (the TensorFlow adapter's set);
 * - `tensorflow-transformers`: transformers 4.57 on tf-keras, for `tf_model.h5` fixtures;
 * - `onnxruntime-reference`: onnxruntime's own Python quantizer, the optimizer tests' reference;
 * - `gpux-runtime`: the GPUX runtime (`gpux` from PyPI) that gpux.yml is written for;
 * - `huggingface-hub`: Python's huggingface_hub, which the pytorch set carries (its own variable).
 */
export type TestPythonName = 'pytorch' | 'tensorflow' | 'tensorflow-transformers' | 'onnxruntime-reference' | 'gpux-runtime' | 'huggingface-hub';

// packages/test-helpers/{src,dist} -> packages/
const packagesDirectory = path.resolve(__dirname, '..', '..');
const pytorchRequirementsFile = path.join(packagesDirectory, 'pytorch-adapter', 'python', 'requirements.txt');

/** Each test environment's requirement set (the pinned files in this repository) and override variable. */
export const TEST_PYTHON_SETS: Readonly<Record<TestPythonName, TestPythonSet>> = {
  pytorch: { name: 'pytorch', requirementsFile: pytorchRequirementsFile, overrideVariable: 'GPUX_TEST_PYTHON' },
  tensorflow: { name: 'tensorflow', requirementsFile: path.join(packagesDirectory, 'tf-adapter', 'python', 'requirements.txt'), overrideVariable: 'GPUX_TEST_TF_PYTHON' },
  'tensorflow-transformers': {
    name: 'tensorflow-transformers',
    requirementsFile: path.join(packagesDirectory, 'tf-adapter', 'python', 'requirements-transformers.txt'),
    overrideVariable: 'GPUX_TEST_TF_TRANSFORMERS_PYTHON',
  },
  'onnxruntime-reference': {
    name: 'onnxruntime-reference',
    requirementsFile: path.join(packagesDirectory, 'optimizer', 'src', 'quantization', 'test-fixtures', 'onnxruntime-reference-requirements.txt'),
    overrideVariable: 'GPUX_TEST_ONNXRUNTIME_PYTHON',
  },
  'gpux-runtime': { name: 'gpux-runtime', requirementsFile: path.join(packagesDirectory, 'cli', 'python', 'gpux-runtime', 'requirements.txt'), overrideVariable: 'GPUX_TEST_GPUX_RUNTIME_PYTHON' },
  'huggingface-hub': { name: 'pytorch', requirementsFile: pytorchRequirementsFile, overrideVariable: 'GPUX_TEST_HF_PYTHON' },
};

/** Options of {@link findTestPython}. */
export interface FindTestPythonOptions {
  /**
   * converter-core's `ensurePythonEnvironment` (handed in: test-helpers imports no @gpux package).
   * It builds the managed environment once (`gpux-convert setup all` does it before the tests).
   * Packages below converter-core (`@gpux/onnx`, `@gpux/hf-manager`) leave it out: the finder then
   * takes the newest finished managed environment of the set under `<GPUX cache>/python/` and never
   * builds one.
   */
  ensurePythonEnvironment?: (requirements: TestRequirementSet, options: { timeoutMs?: number }) => Promise<{ pythonExecutable: string }>;
  /** How long building the environment may take (with `ensurePythonEnvironment` only). */
  timeoutMs?: number;
}

/**
 * The interpreter of a test environment: the one the set's variable names when it is set (see
 * {@link TEST_PYTHON_SETS}: `GPUX_TEST_PYTHON` for pytorch, `GPUX_TEST_TF_PYTHON` for tensorflow,
 * ...), else the managed environment of the set's pinned requirements file.
 *
 * @throws RangeError when `name` is not a key of {@link TEST_PYTHON_SETS}.
 * @throws Error without `ensurePythonEnvironment`, when no finished environment of the set exists
 * (the message says to run `gpux-convert setup` or to set the variable).
 * @example
 * ```ts
 * import { ensurePythonEnvironment } from '@gpux/converter-core';
 * const python = await findTestPython('pytorch', { ensurePythonEnvironment });
 * ```
 */
export async function findTestPython(name: TestPythonName, options: FindTestPythonOptions = {}): Promise<string> {
  const set = Object.hasOwn(TEST_PYTHON_SETS, name) ? TEST_PYTHON_SETS[name] : undefined;
  if (set === undefined) throw new RangeError(`Parameter "name" must be one of ${Object.keys(TEST_PYTHON_SETS).join(', ')}, received ${JSON.stringify(name)}.`);
  const override = process.env[set.overrideVariable];
  if (override !== undefined && override !== '') return override;
  const requirements: TestRequirementSet = { name: set.name, requirementsFile: set.requirementsFile };
  if (options.ensurePythonEnvironment === undefined) return findManagedEnvironment(requirements, set.overrideVariable);
  return (await options.ensurePythonEnvironment(requirements, { timeoutMs: options.timeoutMs })).pythonExecutable;
}
