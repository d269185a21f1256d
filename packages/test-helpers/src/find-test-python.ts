// Test support: the Python interpreter a test drives, found one way for every package's tests.
import path from 'node:path';

/** A requirement set as converter-core's `ensurePythonEnvironment` takes it. */
export interface TestRequirementSet {
  name: string;
  requirementsFile: string;
}

/** The Python environments tests use: the adapters' pinned requirement files in this repository. */
export type TestPythonName = 'pytorch' | 'tensorflow';

// packages/test-helpers/{src,dist} -> packages/
const packagesDirectory = path.resolve(__dirname, '..', '..');

/** Each environment's requirement set and the variable that may name an interpreter instead. */
export const TEST_PYTHON_SETS: Readonly<Record<TestPythonName, TestRequirementSet & { overrideVariable: string }>> = {
  pytorch: { name: 'pytorch', requirementsFile: path.join(packagesDirectory, 'pytorch-adapter', 'python', 'requirements.txt'), overrideVariable: 'GPUX_TEST_PYTHON' },
  tensorflow: { name: 'tensorflow', requirementsFile: path.join(packagesDirectory, 'tf-adapter', 'python', 'requirements.txt'), overrideVariable: 'GPUX_TEST_TF_PYTHON' },
};

/** Options of {@link findTestPython}. */
export interface FindTestPythonOptions {
  /**
   * converter-core's `ensurePythonEnvironment` (handed in: test-helpers imports no @gpux package).
   * It builds the managed environment once (`gpux-convert setup all` does it before the tests).
   */
  ensurePythonEnvironment: (requirements: TestRequirementSet, options: { timeoutMs?: number }) => Promise<{ pythonExecutable: string }>;
  /** How long building the environment may take. */
  timeoutMs?: number;
}

/**
 * The interpreter of a test environment: the one the set's variable names (`GPUX_TEST_PYTHON` for
 * pytorch, `GPUX_TEST_TF_PYTHON` for tensorflow) when it is set, else the managed environment of the
 * adapter's requirement file.
 *
 * @example
 * ```ts
 * import { ensurePythonEnvironment } from '@gpux/converter-core';
 * const python = await findTestPython('pytorch', { ensurePythonEnvironment });
 * ```
 */
export async function findTestPython(name: TestPythonName, options: FindTestPythonOptions): Promise<string> {
  const set = TEST_PYTHON_SETS[name];
  if (set === undefined) throw new RangeError(`Parameter "name" must be one of ${Object.keys(TEST_PYTHON_SETS).join(', ')}, received ${JSON.stringify(name)}.`);
  const override = process.env[set.overrideVariable];
  if (override !== undefined && override !== '') return override;
  const { overrideVariable: _variable, ...requirements } = set;
  return (await options.ensurePythonEnvironment(requirements, options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs })).pythonExecutable;
}
