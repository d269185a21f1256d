import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TEST_PYTHON_SETS, findTestPython, type TestPythonName, type TestRequirementSet } from './find-test-python';

const names = Object.keys(TEST_PYTHON_SETS) as TestPythonName[];
const touchedVariables = ['GPUX_CACHE_DIR', ...names.map((name) => TEST_PYTHON_SETS[name].overrideVariable)];
const saved = new Map(touchedVariables.map((variable) => [variable, process.env[variable]]));

beforeEach(() => {
  for (const variable of touchedVariables) delete process.env[variable];
});
afterAll(() => {
  for (const [variable, value] of saved) {
    if (value === undefined) delete process.env[variable];
    else process.env[variable] = value;
  }
});

/** Writes a managed environment as converter-core leaves it: `bin/python` and the completion marker. */
function writeEnvironment(root: string, folder: string, marker: { requirementSet: string; createdAt: string }, withPython = true): string {
  const directory = path.join(root, 'python', folder);
  mkdirSync(path.join(directory, 'bin'), { recursive: true });
  if (withPython) writeFileSync(path.join(directory, 'bin', 'python'), '');
  writeFileSync(path.join(directory, 'gpux-environment.json'), JSON.stringify({ formatVersion: 1, hash: folder, ...marker }));
  return path.join(directory, 'bin', 'python');
}

describe('TEST_PYTHON_SETS', () => {
  it('points every set at a requirements file of this repository, each with its own variable', () => {
    expect(names.filter((name) => !existsSync(TEST_PYTHON_SETS[name].requirementsFile))).toEqual([]);
    expect(new Set(names.map((name) => TEST_PYTHON_SETS[name].overrideVariable)).size).toBe(names.length);
    expect(TEST_PYTHON_SETS.pytorch.overrideVariable).toBe('GPUX_TEST_PYTHON');
    expect(TEST_PYTHON_SETS.tensorflow.overrideVariable).toBe('GPUX_TEST_TF_PYTHON');
    expect(TEST_PYTHON_SETS['onnxruntime-reference'].overrideVariable).toBe('GPUX_TEST_ONNXRUNTIME_PYTHON');
    expect(TEST_PYTHON_SETS['huggingface-hub']).toEqual({ ...TEST_PYTHON_SETS.pytorch, overrideVariable: 'GPUX_TEST_HF_PYTHON' });
  });
});

describe('findTestPython', () => {
  it('returns the interpreter the set variable names, without building anything', async () => {
    process.env.GPUX_TEST_ONNXRUNTIME_PYTHON = '/opt/reference/bin/python';
    const calls: TestRequirementSet[] = [];
    const ensurePythonEnvironment = (requirements: TestRequirementSet) => {
      calls.push(requirements);
      return Promise.resolve({ pythonExecutable: '/managed/bin/python' });
    };
    await expect(findTestPython('onnxruntime-reference', { ensurePythonEnvironment })).resolves.toBe('/opt/reference/bin/python');
    expect(calls).toEqual([]);
    // another set's variable does not apply
    await expect(findTestPython('pytorch', { ensurePythonEnvironment })).resolves.toBe('/managed/bin/python');
  });

  it('hands the set and the time limit to ensurePythonEnvironment', async () => {
    const calls: Array<[TestRequirementSet, { timeoutMs?: number }]> = [];
    const ensurePythonEnvironment = (requirements: TestRequirementSet, options: { timeoutMs?: number }) => {
      calls.push([requirements, options]);
      return Promise.resolve({ pythonExecutable: `/managed/${requirements.name}/bin/python` });
    };
    await expect(findTestPython('tensorflow-transformers', { ensurePythonEnvironment, timeoutMs: 1234 })).resolves.toBe('/managed/tensorflow-transformers/bin/python');
    await expect(findTestPython('huggingface-hub', { ensurePythonEnvironment })).resolves.toBe('/managed/pytorch/bin/python');
    expect(calls).toEqual([
      [{ name: 'tensorflow-transformers', requirementsFile: TEST_PYTHON_SETS['tensorflow-transformers'].requirementsFile }, { timeoutMs: 1234 }],
      [{ name: 'pytorch', requirementsFile: TEST_PYTHON_SETS.pytorch.requirementsFile }, {}],
    ]);
  });

  describe('without ensurePythonEnvironment', () => {
    let cache: string;
    beforeEach(() => {
      cache = mkdtempSync(path.join(os.tmpdir(), 'gpux-find-test-python-'));
      process.env.GPUX_CACHE_DIR = cache;
    });
    afterEach(() => rmSync(cache, { recursive: true, force: true }));

    it("takes the newest finished environment of the set from the GPUX cache", async () => {
      writeEnvironment(cache, 'aaaa', { requirementSet: 'pytorch', createdAt: '2026-11-01T00:00:00.000Z' });
      const newest = writeEnvironment(cache, 'bbbb', { requirementSet: 'pytorch', createdAt: '2026-11-20T00:00:00.000Z' });
      writeEnvironment(cache, 'cccc', { requirementSet: 'tensorflow', createdAt: '2026-12-01T00:00:00.000Z' });
      writeEnvironment(cache, 'dddd', { requirementSet: 'pytorch', createdAt: '2026-12-02T00:00:00.000Z' }, false);
      writeEnvironment(cache, 'eeee.incomplete', { requirementSet: 'pytorch', createdAt: '2026-12-03T00:00:00.000Z' });
      await expect(findTestPython('pytorch')).resolves.toBe(newest);
      await expect(findTestPython('huggingface-hub')).resolves.toBe(newest);
      await expect(findTestPython('tensorflow')).resolves.toBe(path.join(cache, 'python', 'cccc', 'bin', 'python'));
    });

    it('fails with what to do when the set has no finished environment', async () => {
      writeEnvironment(cache, 'eeee.incomplete', { requirementSet: 'tensorflow', createdAt: '2026-12-03T00:00:00.000Z' });
      await expect(findTestPython('tensorflow')).rejects.toThrow(
        `No finished "tensorflow" Python environment under ${path.join(cache, 'python')}: build it first (\`gpux-convert setup tensorflow\``,
      );
      await expect(findTestPython('tensorflow')).rejects.toThrow(/or set GPUX_TEST_TF_PYTHON to an interpreter that has the packages\.$/);
    });
  });

  it('rejects a name that is no set', async () => {
    await expect(findTestPython('jax' as TestPythonName)).rejects.toThrow(new RangeError('Parameter "name" must be one of pytorch, tensorflow, tensorflow-transformers, onnxruntime-reference, gpux-runtime, huggingface-hub, received "jax".'));
  });
});
