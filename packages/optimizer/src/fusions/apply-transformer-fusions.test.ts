import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ValidationReport } from '@gpux/converter-core';
import type { ModelProto } from '@gpux/onnx';
import { compareOnnxModels, createInferenceSession, ensurePythonEnvironment } from '@gpux/converter-core';
import { loadOnnxModel, saveOnnxModel } from '@gpux/onnx';
import { findTestPython } from '@gpux/test-helpers';
import { applyTransformerFusions } from './apply-transformer-fusions';
import type { TransformerFusionOptions } from './apply-transformer-fusions';
import type { FusionReport } from './fusion-report';

const run = promisify(execFile);
const fixtureScript = path.join(__dirname, 'test-fixtures', 'export_transformer_fixtures.py');
const LAYERS = 2;

/** Development aid: a folder that keeps the exported fixtures between runs (GPUX_FUSION_FIXTURES). */
const reuseFixtures = (process.env.GPUX_FUSION_FIXTURES ?? '') !== '';
let directory: string;
const exported = new Map<string, string>();

/** Python with torch + transformers: GPUX_TEST_PYTHON, else the managed pytorch environment. */
function pythonExecutable(): Promise<string> {
  return findTestPython('pytorch', { ensurePythonEnvironment });
}

async function exportFixtures(python: string, models: string, exporters: string, attention: string): Promise<void> {
  const keys = models.split(',').flatMap((model) => exporters.split(',').flatMap((exporter) => attention.split(',').map((kind) => `${model}-${exporter}-${kind}`)));
  if (reuseFixtures && keys.every((key) => existsSync(path.join(directory, `${key}.onnx`)))) {
    for (const key of keys) exported.set(key, path.join(directory, `${key}.onnx`));
    return;
  }
  const { stdout } = await run(
    python,
    [fixtureScript, directory, '--models', models, '--exporters', exporters, '--attention', attention, '--layers', String(LAYERS), '--hidden', '64', '--heads', '4'],
    { maxBuffer: 64 * 1024 * 1024, env: { ...process.env, TMPDIR: directory } },
  );
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const record = JSON.parse(line) as { model: string; exporter: string; attention: string; path: string };
    exported.set(`${record.model}-${record.exporter}-${record.attention}`, record.path);
  }
}

beforeAll(async () => {
  directory = reuseFixtures ? process.env.GPUX_FUSION_FIXTURES! : await mkdtemp(path.join(tmpdir(), 'gpux-fusions-'));
  await mkdir(directory, { recursive: true });
  const python = await pythonExecutable();
  // One process per model family keeps the import cost of torch/transformers to three starts.
  await exportFixtures(python, 'bert', 'dynamo,torchscript', 'sdpa,eager');
  await exportFixtures(python, 'gpt2', 'dynamo,torchscript', 'sdpa,eager');
  await exportFixtures(python, 'vit', 'dynamo', 'sdpa');
}, 900_000);

afterAll(async () => {
  if (directory !== undefined && !reuseFixtures) await rm(directory, { recursive: true, force: true });
});

function countOps(model: ModelProto, opType: string): number {
  return model.graph!.node.filter((node) => node.opType === opType).length;
}

async function fuseAndValidate(
  key: string,
  options: TransformerFusionOptions = {},
): Promise<{ model: ModelProto; report: FusionReport; validation: ValidationReport; fusedPath: string }> {
  const source = exported.get(key);
  if (source === undefined) throw new Error(`fixture ${key} was not exported`);
  const model = await loadOnnxModel(source);
  const report = applyTransformerFusions(model, options);
  const fusedPath = path.join(directory, `${key}-o2${options.skipLayerNormalization === true ? '-skip' : ''}.onnx`);
  await saveOnnxModel(model, fusedPath);
  const validation = await compareOnnxModels({
    referenceModelPath: source,
    candidateModelPath: fusedPath,
    tolerances: { atol: 1e-4, rtol: 0 },
    throwOnFailure: false,
  });
  return { model, report, validation, fusedPath };
}

/** The op types onnxruntime-node's default session optimizer ('all') leaves in `modelPath`'s graph. */
async function onnxRuntimeOptimizedOps(modelPath: string): Promise<string[]> {
  const optimizedPath = modelPath.replace(/\.onnx$/, '-ort-all.onnx');
  const session = await createInferenceSession(modelPath, { graphOptimizationLevel: 'all', optimizedModelFilePath: optimizedPath });
  await session.release();
  const optimized = await loadOnnxModel(optimizedPath);
  return optimized.graph!.node.map((node) => node.opType ?? '');
}

/** Whether every LayerNormalization reads a Reshape (the 2-D view onnxruntime does not re-fuse) or an Add with other readers. */
function flattenedLayerNorms(model: ModelProto): number {
  const producers = new Map(model.graph!.node.flatMap((node) => node.output.map((output) => [output, node] as const)));
  return model.graph!.node.filter((node) => node.opType === 'LayerNormalization' && producers.get(node.input[0] ?? '')?.opType === 'Reshape').length;
}

function maxDiff(validation: ValidationReport): number {
  return Math.max(...validation.cases.flatMap((entry) => entry.outputs.map((output) => output.maxAbsDiff ?? Number.POSITIVE_INFINITY)));
}

describe.each([
  ['bert-dynamo-sdpa'],
  ['bert-dynamo-eager'],
  ['bert-torchscript-sdpa'],
  ['bert-torchscript-eager'],
])('BERT export %s', (key) => {
  it('fuses every layer and matches the unfused outputs within 1e-4 at two sequence lengths with padding', async () => {
    const { model, report, validation } = await fuseAndValidate(key);
    expect(report.layers).toEqual(Array.from({ length: LAYERS }, (_, layer) => ({ layer, attention: 'fused' })));
    expect(countOps(model, 'Attention')).toBe(LAYERS);
    expect(countOps(model, 'Softmax')).toBe(0);
    expect(report.fused.EmbedLayerNormalization).toBe(1);
    // Residual LayerNorms stay Add + LayerNormalization (faster on CPU), on a 2-D view.
    expect(countOps(model, 'SkipLayerNormalization')).toBe(0);
    expect(countOps(model, 'LayerNormalization')).toBe(2 * LAYERS);
    expect(flattenedLayerNorms(model)).toBe(2 * LAYERS);
    expect(countOps(model, 'BiasGelu')).toBe(LAYERS);
    expect(countOps(model, 'Erf')).toBe(0);
    expect(validation.cases.length).toBe(2);
    expect(new Set(validation.cases.map((entry) => entry.label)).size).toBe(2);
    expect(maxDiff(validation)).toBeLessThanOrEqual(1e-4);
    expect(validation.passed).toBe(true);
  });
});

describe.each([['gpt2-dynamo-sdpa'], ['gpt2-dynamo-eager'], ['gpt2-torchscript-sdpa'], ['gpt2-torchscript-eager']])('GPT-2 export %s', (key) => {
  it('fuses causal attention in every layer and matches the unfused outputs', async () => {
    const { model, report, validation } = await fuseAndValidate(key);
    expect(report.layers).toEqual(Array.from({ length: LAYERS }, (_, layer) => ({ layer, attention: 'fused' })));
    const attention = model.graph!.node.filter((node) => node.opType === 'Attention');
    expect(attention).toHaveLength(LAYERS);
    for (const node of attention) expect(node.attribute.find((entry) => entry.name === 'unidirectional')?.i).toBe(1);
    expect(countOps(model, 'FastGelu')).toBe(LAYERS);
    // ln_1 of every block and the final ln_f read a residual sum; they stay LayerNormalization.
    expect(countOps(model, 'SkipLayerNormalization')).toBe(0);
    expect(countOps(model, 'LayerNormalization')).toBe(2 * LAYERS + 1);
    // Only ln_f's sum has no other reader, the one case onnxruntime would re-fuse.
    expect(flattenedLayerNorms(model)).toBe(1);
    expect(maxDiff(validation)).toBeLessThanOrEqual(1e-4);
    expect(validation.passed).toBe(true);
  });
});

describe('residual LayerNormalization', () => {
  it('is not re-fused into SkipLayerNormalization by onnxruntime-node at session creation', async () => {
    const { fusedPath } = await fuseAndValidate('bert-dynamo-sdpa');
    const ops = await onnxRuntimeOptimizedOps(fusedPath);
    expect(ops.filter((op) => op === 'SkipLayerNormalization')).toHaveLength(0);
    expect(ops.filter((op) => op === 'LayerNormalization')).toHaveLength(2 * LAYERS);
    // The unfused export, by contrast, is re-fused by onnxruntime (what the flattening prevents).
    const unfusedOps = await onnxRuntimeOptimizedOps(exported.get('bert-dynamo-sdpa')!);
    expect(unfusedOps.filter((op) => op === 'SkipLayerNormalization').length).toBeGreaterThan(0);
  });

  it.each([['bert-torchscript-sdpa', 2 * LAYERS], ['gpt2-dynamo-sdpa', 2 * LAYERS + 1]])(
    'is fused into SkipLayerNormalization on request (%s) and still matches the unfused outputs',
    async (key, expected) => {
      const { model, report, validation } = await fuseAndValidate(key, { skipLayerNormalization: true });
      expect(report.fused.SkipLayerNormalization).toBe(expected);
      expect(countOps(model, 'SkipLayerNormalization')).toBe(expected);
      expect(countOps(model, 'LayerNormalization')).toBe(0);
      expect(maxDiff(validation)).toBeLessThanOrEqual(1e-4);
      expect(validation.passed).toBe(true);
    },
  );
});

describe('ViT export', () => {
  it('fuses attention in every layer and matches the unfused outputs', async () => {
    const { model, report, validation } = await fuseAndValidate('vit-dynamo-sdpa');
    expect(report.layers).toEqual(Array.from({ length: LAYERS }, (_, layer) => ({ layer, attention: 'fused' })));
    expect(report.fused.Attention).toBe(LAYERS);
    expect(countOps(model, 'Gelu') + countOps(model, 'BiasGelu')).toBe(LAYERS);
    expect(maxDiff(validation)).toBeLessThanOrEqual(1e-4);
    expect(validation.passed).toBe(true);
  });
});

describe('O3 approximate GELU', () => {
  it('writes FastGelu in place of exact GELU and stays close to the exact model', async () => {
    const source = exported.get('bert-dynamo-sdpa')!;
    const model = await loadOnnxModel(source);
    const report = applyTransformerFusions(model, { approximateGelu: true });
    expect(report.fused.FastGelu).toBe(LAYERS);
    expect(report.fused.BiasGelu).toBeUndefined();
    const fusedPath = path.join(directory, 'bert-o3.onnx');
    await saveOnnxModel(model, fusedPath);
    const validation = await compareOnnxModels({ referenceModelPath: source, candidateModelPath: fusedPath, tolerances: { atol: 1e-2, rtol: 0 }, throwOnFailure: false });
    expect(maxDiff(validation)).toBeGreaterThan(0);
    expect(maxDiff(validation)).toBeLessThanOrEqual(1e-2);
  });
});

describe('a block that does not match', () => {
  it('stays untouched and the report says why, while the other layers fuse', async () => {
    const source = exported.get('bert-dynamo-sdpa')!;
    const model = await loadOnnxModel(source);
    const softmax = model.graph!.node.find((node) => node.opType === 'Softmax')!;
    const axis = softmax.attribute.find((entry) => entry.name === 'axis')!;
    axis.i = 2; // normalise over the query axis: not attention as Attention computes it
    const alteredPath = path.join(directory, 'bert-softmax-axis-2.onnx');
    await saveOnnxModel(model, alteredPath);

    const report = applyTransformerFusions(model);
    expect(report.layers[0]?.attention).toBe('not-fused');
    expect(report.layers[0]?.reason).toContain('Softmax is over axis 2');
    expect(report.layers[1]).toEqual({ layer: 1, attention: 'fused' });
    expect(report.notes.join(' ')).toContain('1 of 2 attention blocks were not fused');
    expect(countOps(model, 'Softmax')).toBe(1);
    expect(countOps(model, 'Attention')).toBe(1);
    const fusedPath = path.join(directory, 'bert-softmax-axis-2-o2.onnx');
    await saveOnnxModel(model, fusedPath);
    const validation = await compareOnnxModels({ referenceModelPath: alteredPath, candidateModelPath: fusedPath, tolerances: { atol: 1e-4, rtol: 0 }, throwOnFailure: false });
    expect(maxDiff(validation)).toBeLessThanOrEqual(1e-4);
  });

  it('rejects bad options', () => {
    const model = { graph: undefined, opsetImport: [], metadataProps: [], trainingInfo: [], functions: [], configuration: [] } as unknown as ModelProto;
    expect(() => applyTransformerFusions(model)).toThrow(TypeError);
    expect(() => applyTransformerFusions({ ...model, graph: { node: [] } } as unknown as ModelProto, { numHeads: 0 })).toThrow(/numHeads/);
  });
});
