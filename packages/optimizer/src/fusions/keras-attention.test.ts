import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { compareOnnxModels, ensurePythonEnvironment } from '@gpux/converter-core';
import { loadOnnxModel } from '@gpux/onnx';
import { findTestPython } from '@gpux/test-helpers';
import { optimizeModel } from '../optimize-model';

const run = promisify(execFile);
const fixtureScript = path.join(__dirname, 'test-fixtures', 'export_keras_attention_fixture.py');
let directory = '';
const exported = new Map<string, string>();

/** Python with TensorFlow + tf2onnx: GPUX_TEST_TF_PYTHON, else the managed tensorflow environment. */
function tensorflowPython(): Promise<string> {
  return findTestPython('tensorflow', { ensurePythonEnvironment, timeoutMs: 1_800_000 });
}

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'gpux-keras-fusions-'));
  const python = await tensorflowPython();
  for (const sequence of ['12', 'dynamic']) {
    const { stdout } = await run(python, [fixtureScript, directory, '--layers', '2', '--hidden', '32', '--heads', '4', '--sequence', sequence], {
      maxBuffer: 16 * 1024 * 1024,
      env: { ...process.env, TMPDIR: directory },
    });
    exported.set(sequence, (JSON.parse(stdout.trim().split('\n').at(-1)!) as { path: string }).path);
  }
}, 900_000);

afterAll(async () => {
  if (directory !== '') await rm(directory, { recursive: true, force: true });
});

describe("tf2onnx's Keras encoder at O2: MultiHeadAttention (einsums lowered to 3-D MatMuls), LayerNormalization, GELU", () => {
  it.each([
    ['a static sequence (12)', '12'],
    ['a dynamic sequence', 'dynamic'],
  ])('with %s: every layer fused, the lowered-einsum chains gone, outputs within 1e-4', async (_label, sequence) => {
    const source = exported.get(sequence)!;
    const output = path.join(directory, `keras-mha-${sequence}-o2.onnx`);
    const result = await optimizeModel(source, output, { level: 'O2' });
    const report = result.fusionReport!;
    expect(report.layers).toEqual([
      { layer: 0, attention: 'fused' },
      { layer: 1, attention: 'fused' },
    ]);
    expect(report.fused).toEqual({ Attention: 2, LayerNormalization: 4, Gelu: 2 });
    expect(report.notes.join(' ')).toContain('2 attention block(s) written as lowered einsums');
    const model = await loadOnnxModel(output);
    const ops = model.graph!.node.map((node) => node.opType ?? '');
    for (const gone of ['Softmax', 'ReduceProd', 'ReduceMean', 'Erf', 'Max']) expect(ops.filter((op) => op === gone)).toEqual([]);
    // At most the output projection's own Squeeze per layer is left of the lowered einsums (3 per layer before).
    expect(ops.filter((op) => op === 'Squeeze').length).toBeLessThanOrEqual(2);
    expect(result.nodeCount.after).toBeLessThan(result.nodeCount.before / 3);
    expect(result.validation?.passed).toBe(true);
    const validation = await compareOnnxModels({
      referenceModelPath: source,
      candidateModelPath: output,
      tolerances: { atol: 1e-4, rtol: 0 },
      throwOnFailure: false,
    });
    expect(validation.cases.length).toBeGreaterThanOrEqual(2);
    expect(validation.passed).toBe(true);
  });
});
