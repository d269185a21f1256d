import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { compareOnnxModels, ensurePythonEnvironment, loadOnnxModel, saveOnnxModel } from '@gpux/converter-core';
import { applyTransformerFusions } from './apply-transformer-fusions';

const run = promisify(execFile);
const repositoryRoot = path.resolve(__dirname, '../../../..');
const fixtureScript = path.join(__dirname, 'test-fixtures', 'export_keras_attention_fixture.py');
let directory = '';
let exported = '';

/** Python with TensorFlow + tf2onnx: GPUX_TEST_TF_PYTHON, else the managed tensorflow environment. */
async function tensorflowPython(): Promise<string> {
  const override = process.env.GPUX_TEST_TF_PYTHON;
  if (override !== undefined && override !== '') return override;
  const environment = await ensurePythonEnvironment(
    { name: 'tensorflow', requirementsFile: path.join(repositoryRoot, 'packages', 'tf-adapter', 'python', 'requirements.txt') },
    { timeoutMs: 1_800_000 },
  );
  return environment.pythonExecutable;
}

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'gpux-keras-fusions-'));
  const { stdout } = await run(await tensorflowPython(), [fixtureScript, directory, '--layers', '2', '--hidden', '32', '--heads', '4', '--sequence', '12'], {
    maxBuffer: 16 * 1024 * 1024,
    env: { ...process.env, TMPDIR: directory },
  });
  exported = (JSON.parse(stdout.trim().split('\n').at(-1)!) as { path: string }).path;
}, 900_000);

afterAll(async () => {
  if (directory !== '') await rm(directory, { recursive: true, force: true });
});

describe("tf2onnx's Keras MultiHeadAttention (einsums lowered to 3-D MatMuls)", () => {
  it('is put back into the head layout and fused in every layer, matching the unfused outputs', async () => {
    const model = await loadOnnxModel(exported);
    const before = model.graph!.node.length;
    const report = applyTransformerFusions(model);
    expect(report.layers).toEqual([
      { layer: 0, attention: 'fused' },
      { layer: 1, attention: 'fused' },
    ]);
    expect(report.fused.Attention).toBe(2);
    expect(report.notes.join(' ')).toContain('2 attention block(s) written as lowered einsums');
    const ops = model.graph!.node.map((node) => node.opType);
    expect(ops.filter((op) => op === 'Softmax')).toHaveLength(0);
    // The Unsqueeze/Transpose/Reshape/Squeeze chains of the lowered einsums are gone.
    expect(ops.filter((op) => op === 'Squeeze' || op === 'ReduceProd')).toHaveLength(0);
    expect(model.graph!.node.length).toBeLessThan(before - 60);
    const fusedPath = path.join(directory, 'keras-mha-o2.onnx');
    await saveOnnxModel(model, fusedPath);
    const validation = await compareOnnxModels({
      referenceModelPath: exported,
      candidateModelPath: fusedPath,
      tolerances: { atol: 1e-4, rtol: 0 },
      throwOnFailure: false,
    });
    expect(validation.cases.length).toBeGreaterThanOrEqual(2);
    expect(validation.passed).toBe(true);
  });
});
