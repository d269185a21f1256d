import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { collectDoctorReport, type DoctorReport } from './doctor-command';
import { requirementSets } from '../requirement-sets';
import { runBuiltCli } from '../test-support/run-built-cli';

/** `name==version` pins of a requirements file. */
function readPins(requirementsFile: string): Map<string, string> {
  const pins = new Map<string, string>();
  for (const line of fs.readFileSync(requirementsFile, 'utf8').split('\n')) {
    const match = /^([A-Za-z0-9_.-]+)==([^\s#]+)/.exec(line.trim());
    if (match) pins.set(match[1]!.toLowerCase().replace(/_/g, '-'), match[2]!);
  }
  return pins;
}

describe('gpux-convert doctor', () => {
  it('reports both managed environments complete, with the pinned versions installed (after `gpux-convert setup all`)', async () => {
    const report = await collectDoctorReport();
    expect(report.onnxruntimeNode.installed).toBe(true);
    for (const environment of report.environments) {
      if (environment.status !== 'complete') {
        throw new Error(`Environment ${environment.requirementSet} is ${environment.status}: run \`gpux-convert setup all\` (tools/test-all.sh does) before these tests. ${environment.problem ?? ''}`);
      }
      const pins = readPins(requirementSets[environment.requirementSet as 'pytorch' | 'tensorflow'].requirementsFile);
      expect(environment.packages.length).toBe(pins.size);
      for (const pythonPackage of environment.packages) {
        expect(pythonPackage.installed).toBe(pins.get(pythonPackage.name.toLowerCase().replace(/_/g, '-')));
      }
    }
    expect(report.ok).toBe(true);
  });

  describe('with an interpreter that lacks packages', () => {
    let scratch: string;
    let python: string;

    beforeAll(() => {
      scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'gpux-doctor-'));
      execFileSync('python3', ['-m', 'venv', path.join(scratch, 'venv')]);
      python = path.join(scratch, 'venv', 'bin', 'python');
    });

    afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

    it('names every missing package and prints the pip command that installs them, exiting 5', async () => {
      const run = await runBuiltCli(['doctor', '--python', python, '--json']);
      expect(run.exitCode).toBe(5);
      const report = JSON.parse(run.stdout) as DoctorReport;
      const tensorflow = report.environments.find((environment) => environment.requirementSet === 'tensorflow')!;
      expect(tensorflow.status).toBe('external');
      expect(tensorflow.missingPackages).toEqual(expect.arrayContaining(['tensorflow-cpu', 'tf2onnx', 'onnx', 'numpy']));
      expect(tensorflow.fixCommand).toBe(`${python} -m pip install -r ${requirementSets.tensorflow.requirementsFile}`);
      const pytorch = report.environments.find((environment) => environment.requirementSet === 'pytorch')!;
      expect(pytorch.missingPackages).toEqual(expect.arrayContaining(['torch', 'transformers']));
    });

    it('prints a readable report naming the missing package and its fix', async () => {
      const run = await runBuiltCli(['doctor', '--python', python]);
      expect(run.exitCode).toBe(5);
      expect(run.stdout).toMatch(/! tf2onnx not installed \(wants ==1\.17\.0\)/);
      expect(run.stdout).toContain(`fix: ${python} -m pip install -r`);
    });
  });
});
