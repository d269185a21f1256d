/**
 *
 * Levels O1-O4 on a tiny random-weight BERT exported by torch.onnx.export (dynamo, SDPA), with
 * the fusion helper's fixture script. Python: GPUX_TEST_PYTHON, else the managed pytorch environment.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ensurePythonEnvironment } from '@gpux/converter-core';
import { loadOnnxModel } from '@gpux/onnx';
import { findTestPython } from '@gpux/test-helpers';
import { optimizeModel } from '../optimize-model';
import { countOperators } from '../passes/test-support/run-onnx-model';
import { parseOptimizationLevel } from './optimization-level';

const run = promisify(execFile);
const packageRoot = path.resolve(__dirname, '..', '..');
const fixtureScript = path.join(packageRoot, 'src', 'fusions', 'test-fixtures', 'export_transformer_fixtures.py');
const LAYERS = 2;
let directory: string;
let bertPath: string;

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'gpux-levels-'));
  const python = await findTestPython('pytorch', { ensurePythonEnvironment });
  const { stdout } = await run(python, [fixtureScript, directory, '--models', 'bert', '--exporters', 'dynamo', '--attention', 'sdpa', '--layers', String(LAYERS), '--hidden', '64', '--heads', '4'], {
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, TMPDIR: directory },
  });
  const record = stdout.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { path: string })[0];
  if (record === undefined) throw new Error(`The fixture script exported nothing:\n${stdout}`);
  bertPath = record.path;
}, 900_000);

afterAll(async () => {
  if (directory !== undefined) await rm(directory, { recursive: true, force: true });
});

describe('optimization levels on a tiny BERT', () => {
  test('O1 shrinks the graph without contrib operators and validates', async () => {
    const result = await optimizeModel(bertPath, path.join(directory, 'bert_O1.onnx'), { level: 'O1' });
    expect(result.validation?.passed).toBe(true);
    expect(result.nodeCount.after).toBeLessThanOrEqual(result.nodeCount.before);
    const model = await loadOnnxModel(result.outputPath);
    expect(model.graph!.node.filter((node) => (node.domain ?? '') !== '')).toEqual([]);
    expect(model.opsetImport.map((entry) => entry.domain ?? '').sort()).toEqual((await loadOnnxModel(bertPath)).opsetImport.map((entry) => entry.domain ?? '').sort());
  });

  test('O2 fuses attention in every layer and matches the unoptimized model within 1e-4', async () => {
    const result = await optimizeModel(bertPath, path.join(directory, 'bert_O2.onnx'), { level: 'O2' });
    expect(result.fusionReport?.fused.Attention).toBe(LAYERS);
    expect(result.validation?.passed).toBe(true);
    const maxDiff = Math.max(...result.validation!.cases.flatMap((entry) => entry.outputs.map((output) => output.maxAbsDiff ?? Infinity)));
    expect(maxDiff).toBeLessThanOrEqual(1e-4);
    const counts = countOperators(await loadOnnxModel(result.outputPath));
    expect(counts.Attention).toBe(LAYERS);
    expect(counts.Softmax).toBeUndefined();
    expect(result.nodeCount.after).toBeLessThan(result.nodeCount.before / 3);
  });

  test('O3 writes FastGelu; O4 adds float16 with float32 IO; both validate at their tolerances', async () => {
    const o3 = await optimizeModel(bertPath, path.join(directory, 'bert_O3.onnx'), { level: 'O3' });
    expect(o3.fusionReport?.fused.FastGelu).toBe(LAYERS);
    expect(o3.validation?.passed).toBe(true);
    const o4 = await optimizeModel(bertPath, path.join(directory, 'bert_O4.onnx'), { level: parseOptimizationLevel(4) });
    expect(o4.float16Report?.castChainsRemaining).toBe(0);
    expect(o4.float16Report?.initializersConverted).toBeGreaterThan(10);
    expect(o4.validation?.passed).toBe(true);
    const model = await loadOnnxModel(o4.outputPath);
    expect(model.graph!.output.map((output) => output.type?.tensorType?.elemType)).toEqual(model.graph!.output.map(() => 1));
  });
});
