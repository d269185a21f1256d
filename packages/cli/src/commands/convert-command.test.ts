import { cp, mkdtemp, readdir, readFile, rm, stat, truncate } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ConversionReport, ProgressEvent } from '@gpux/converter-core';
import type { OnnxModelInspection } from '@gpux/onnx';
import { createHubFixtureRepo, startLoopbackHub, type LoopbackHub } from '@gpux/test-helpers';
import type { ModelSummary } from '../output/conversion-summary';
import { makeTinyBert } from '../test-support/make-tiny-bert';
import { descendantProcesses, isProcessAlive } from '../test-support/process-tree';
import { runBuiltCli, type CliRun } from '../test-support/run-built-cli';

interface ResultLine {
  type: 'result';
  cached: boolean;
  directory: string;
  modelPath: string;
  summary: ModelSummary[];
  report: ConversionReport;
}

type JsonLine = { type: 'progress'; event: ProgressEvent } | ResultLine | { type: 'error'; code: string; message: string };

function jsonLines(run: CliRun): JsonLine[] {
  return run.stdout.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as JsonLine);
}

function resultOf(run: CliRun): ResultLine {
  const lines = jsonLines(run);
  const last = lines.at(-1);
  if (last?.type !== 'result') throw new Error(`The last JSON line is not the result (exit ${String(run.exitCode)}): ${run.stdout.slice(-2000)}\n${run.stderr.slice(-4000)}`);
  return last;
}

function phaseStarts(run: CliRun): string[] {
  return jsonLines(run).flatMap((line) => (line.type === 'progress' && line.event.type === 'phase-start' ? [line.event.phase] : []));
}

describe('gpux-convert convert (end to end, tiny random-weight BERT)', () => {
  const repoId = 'gpux-test/tiny-bert';
  let scratch: string;
  let modelDirectory: string;
  let cacheDirectory: string;
  let hubCache: string;
  let hub: LoopbackHub;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    scratch = await mkdtemp(path.join(os.tmpdir(), 'gpux-cli-convert-'));
    modelDirectory = path.join(scratch, 'tiny-bert');
    cacheDirectory = path.join(scratch, 'conversions');
    hubCache = path.join(scratch, 'hub-cache');
    await makeTinyBert(modelDirectory);
    const files: Record<string, Buffer> = {};
    for (const name of await readdir(modelDirectory)) files[name] = await readFile(path.join(modelDirectory, name));
    hub = await startLoopbackHub({ repos: [createHubFixtureRepo({ id: repoId, files, lfs: ['model.safetensors'], pipelineTag: 'text-classification' })] });
    // The hub cache goes to a temp dir; the managed Python environments stay where they are (GPUX_CACHE_DIR untouched).
    env = { HF_HUB_CACHE: hubCache, HF_TOKEN: '', HF_ENDPOINT: '' };
  }, 600_000);

  afterAll(async () => {
    await hub?.close();
    await rm(scratch, { recursive: true, force: true });
  });

  let first: CliRun;
  let output: string;

  it('pulls a hub id, exports, validates, quantizes and writes the layout, gpux.yml and the report (--json)', async () => {
    output = path.join(scratch, 'out');
    first = await runBuiltCli(['convert', repoId, '--hub-url', hub.url, '--cache-dir', cacheDirectory, '-o', output, '--optimize', 'O2', '--quantize', 'int8,fp16', '--json', '--latency-runs', '3'], { env });
    const result = resultOf(first);
    expect(first.exitCode).toBe(0);
    expect(result.cached).toBe(false);
    expect(result.directory).toBe(output);
    // Every line before the result is a progress event; the phases ran in pipeline order.
    const lines = jsonLines(first);
    expect(lines.slice(0, -1).every((line) => line.type === 'progress')).toBe(true);
    expect(phaseStarts(first)).toEqual(expect.arrayContaining(['resolve', 'download', 'export', 'validate', 'optimize', 'quantize', 'write']));
    expect(phaseStarts(first).indexOf('download')).toBeLessThan(phaseStarts(first).indexOf('export'));

    expect((await readdir(path.join(output, 'onnx'))).sort()).toEqual(['model.onnx', 'model_fp16.onnx', 'model_int8.onnx', 'model_optimized.onnx']);
    for (const copied of ['config.json', 'vocab.txt', 'tokenizer_config.json']) expect((await stat(path.join(output, copied))).size).toBeGreaterThan(0);

    const gpuxYml = await readFile(path.join(output, 'gpux.yml'), 'utf8');
    expect(gpuxYml).toMatch(/^name: tiny-bert$/m);
    expect(gpuxYml).toMatch(/source: \.\/onnx\/model\.onnx/);
    expect(gpuxYml).toMatch(/format: onnx/);
    expect(gpuxYml).toMatch(/- name: input_ids\n\s+type: int64/);
    expect(gpuxYml).toMatch(/backend: auto/);
    for (const label of ['negative', 'neutral', 'positive']) expect(gpuxYml).toContain(label);

    const report = JSON.parse(await readFile(path.join(output, 'conversion-report.json'), 'utf8')) as ConversionReport;
    expect(report.source.id).toBe(repoId);
    expect(report.source.revision).toMatch(/^[0-9a-f]{40}$/);
    expect(report.framework).toBe('pytorch');
    expect(report.task).toBe('text-classification');
    const validation = Object.fromEntries(report.validation.map((entry) => [entry.path, entry]));
    expect(validation['onnx/model.onnx']?.status).toBe('passed');
    expect(validation['onnx/model.onnx']?.report?.reference).toBe('reference-outputs');
    for (const variant of ['onnx/model_optimized.onnx', 'onnx/model_int8.onnx', 'onnx/model_fp16.onnx']) {
      expect(validation[variant]?.status).toBe('passed');
      expect(validation[variant]?.report?.reference).toMatch(/model\.onnx$/);
    }
    expect(report.variants.map((variant) => variant.name)).toEqual(['optimize-O2', 'quantize-int8', 'fp16']);
    const exportLogits = validation['onnx/model.onnx']?.report?.cases.flatMap((entry) => entry.outputs) ?? [];
    expect(exportLogits.length).toBeGreaterThanOrEqual(2);
    for (const outputComparison of exportLogits) {
      expect(outputComparison.maxAbsDiff).toBeLessThan(1e-4);
      expect(outputComparison.cosineSimilarity).toBeGreaterThan(0.9999);
    }

    // The summary rows carry the report's numbers, the files' sizes and a latency per variant.
    expect(result.summary.map((row) => row.path)).toEqual(['onnx/model.onnx', 'onnx/model_optimized.onnx', 'onnx/model_int8.onnx', 'onnx/model_fp16.onnx']);
    for (const row of result.summary) {
      expect(row.bytes).toBe((await stat(path.join(output, row.path))).size);
      expect(row.latency?.runs).toBe(3);
      expect(row.latency?.medianMs).toBeGreaterThan(0);
    }
    const int8Outputs = validation['onnx/model_int8.onnx']?.report?.cases.flatMap((entry) => entry.outputs) ?? [];
    const int8Row = result.summary[2] as ModelSummary;
    expect(int8Row.accuracy.against).toBe('fp32');
    expect(int8Row.accuracy.maxAbsDiff).toBe(Math.max(...int8Outputs.map((entry) => entry.maxAbsDiff ?? 0)));
    expect(int8Row.accuracy.minArgmaxAgreement).toBe(Math.min(...int8Outputs.map((entry) => entry.argmaxAgreement ?? 1)));
    expect(int8Row.bytes).toBeLessThan((result.summary[0] as ModelSummary).bytes);
  });

  it('returns the cached result for the same command, without exporting, and says so', async () => {
    const again = await runBuiltCli(['convert', repoId, '--hub-url', hub.url, '--cache-dir', cacheDirectory, '-o', output, '--optimize', 'O2', '--quantize', 'int8,fp16', '--json', '--no-latency'], { env });
    const result = resultOf(again);
    expect(again.exitCode).toBe(0);
    expect(result.cached).toBe(true);
    expect(phaseStarts(again)).not.toContain('export');
    expect(phaseStarts(again)).not.toContain('quantize');
    expect(jsonLines(again).some((line) => line.type === 'progress' && line.event.type === 'message' && /cached conversion/i.test(line.event.message))).toBe(true);
    expect(result.report.createdAt).toBe(resultOf(first).report.createdAt);

    const plain = await runBuiltCli(['convert', repoId, '--hub-url', hub.url, '--cache-dir', cacheDirectory, '--optimize', 'O2', '--quantize', 'int8,fp16', '--no-latency'], { env });
    expect(plain.exitCode).toBe(0);
    expect(plain.stderr).toContain('Cached: this conversion was done before');
    expect(plain.stdout).toMatch(/^Cached conversion gpux-test\/tiny-bert/m);
  });

  it('inspect prints the IO, opsets and size that the report records', async () => {
    const run = await runBuiltCli(['inspect', path.join(output, 'onnx', 'model.onnx'), '--json']);
    expect(run.exitCode).toBe(0);
    const inspection = JSON.parse(run.stdout) as OnnxModelInspection;
    const report = resultOf(first).report;
    const model = report.models.find((entry) => entry.path === 'onnx/model.onnx');
    expect(inspection.inputs.map((input) => input.name)).toEqual(model?.inputs.map((input) => input.name));
    expect(inspection.inputs.map((input) => input.dims)).toEqual(model?.inputs.map((input) => input.shape));
    expect(inspection.outputs.map((entry) => entry.name)).toEqual(model?.outputs.map((entry) => entry.name));
    expect(inspection.opsetImports.find((opset) => opset.domain === '')?.version).toBe(report.opset);
    expect(inspection.sizeOnDisk?.totalBytes).toBe(report.artifacts.find((artifact) => artifact.path === 'onnx/model.onnx')?.bytes);
    expect(inspection.operatorHistogram.MatMul).toBeGreaterThan(0);

    const text = await runBuiltCli(['inspect', path.join(output, 'onnx', 'model.onnx')]);
    expect(text.stdout).toMatch(/input_ids: int64 \[batch_size, sequence_length\]/);
  });

  it('validate compares a variant with the fp32 model beside it, and with --against', async () => {
    const sibling = await runBuiltCli(['validate', path.join(output, 'onnx', 'model_int8.onnx'), '--atol', '0.5', '--json']);
    const result = JSON.parse(sibling.stdout.trim().split('\n').at(-1) ?? '{}') as { type: string; passed: boolean; report: { reference: string; cases: unknown[] } };
    expect(sibling.exitCode).toBe(0);
    expect(result.passed).toBe(true);
    expect(result.report.reference).toBe(path.join(output, 'onnx', 'model.onnx'));
    expect(result.report.cases.length).toBeGreaterThanOrEqual(2);

    const strict = await runBuiltCli(['validate', path.join(output, 'onnx', 'model_int8.onnx'), '--against', path.join(output, 'onnx', 'model.onnx'), '--atol', '0', '--rtol', '0']);
    expect(strict.exitCode).toBe(7);
    expect(strict.stdout).toMatch(/^FAILED: /);
  });

  it('list shows the cached conversion and rm removes it', async () => {
    const listed = await runBuiltCli(['list', '--cache-dir', cacheDirectory, '--json']);
    const conversions = (JSON.parse(listed.stdout) as { conversions: Array<{ name: string; sourceId: string; revision: string; bytes: number; directory: string }> }).conversions;
    expect(conversions).toHaveLength(1);
    expect(conversions[0]?.sourceId).toBe(repoId);
    expect(conversions[0]?.revision).toBe(resultOf(first).report.source.revision);
    expect(conversions[0]?.bytes).toBeGreaterThan(resultOf(first).summary.reduce((sum, row) => sum + row.bytes, 0));

    const removed = await runBuiltCli(['rm', conversions[0]?.name ?? '', '--cache-dir', cacheDirectory]);
    expect(removed.exitCode).toBe(0);
    expect(removed.stdout).toContain(`removed ${conversions[0]?.name}`);
    await expect(stat(conversions[0]?.directory ?? '')).rejects.toThrow();
    const after = await runBuiltCli(['list', '--cache-dir', cacheDirectory, '--json']);
    expect((JSON.parse(after.stdout) as { conversions: unknown[] }).conversions).toEqual([]);
    const unknown = await runBuiltCli(['rm', 'nothing/here@abc#0123456789abcdef', '--cache-dir', cacheDirectory]);
    expect(unknown.exitCode).toBe(3);
  });

  it('fails on a corrupt source with the error code and leaves no output directory', async () => {
    const corrupt = path.join(scratch, 'corrupt-bert');
    await cp(modelDirectory, corrupt, { recursive: true });
    const weights = path.join(corrupt, 'model.safetensors');
    await truncate(weights, Math.floor((await stat(weights)).size / 2));
    const corruptOutput = path.join(scratch, 'corrupt-out');
    const run = await runBuiltCli(['convert', corrupt, '--cache-dir', cacheDirectory, '-o', corruptOutput, '--no-latency']);
    expect(run.exitCode).not.toBe(0);
    const match = /error \[([A-Z_]+)\]: /.exec(run.stderr);
    expect(match?.[1]).toMatch(/^(INVALID_MODEL_FILE|EXPORT_FAILED)$/);
    expect(run.exitCode).toBe(match?.[1] === 'INVALID_MODEL_FILE' ? 3 : 6);
    await expect(stat(corruptOutput)).rejects.toThrow();
    expect((await readdir(scratch)).filter((name) => name.startsWith('corrupt-out'))).toEqual([]);
  });

  it('cancels on SIGINT during the export: exit 130, no output, the Python child gone', async () => {
    const source = path.join(scratch, 'interrupted-bert');
    await cp(modelDirectory, source, { recursive: true });
    const interruptedOutput = path.join(scratch, 'interrupted-out');
    let cliPid = 0;
    let exportStarted = false;
    const pythonPids: number[] = [];
    let poll: NodeJS.Timeout | undefined;
    const run = await runBuiltCli(['convert', source, '--cache-dir', cacheDirectory, '-o', interruptedOutput, '--json'], {
      onSpawn: (pid) => (cliPid = pid),
      onStdout: (chunk) => {
        if (exportStarted || !chunk.includes('"phase":"export"')) return;
        exportStarted = true;
        // Interrupt once the export's Python child runs.
        poll = setInterval(() => {
          const children = descendantProcesses(cliPid).filter((child) => child.command.includes('export_model.py'));
          if (children.length === 0) return;
          pythonPids.push(...children.map((child) => child.pid));
          clearInterval(poll);
          process.kill(cliPid, 'SIGINT');
        }, 50);
      },
    });
    clearInterval(poll);
    expect(pythonPids.length).toBeGreaterThan(0);
    expect(run.exitCode).toBe(130);
    expect((jsonLines(run).at(-1) as { type: string; code: string }).code).toBe('CANCELLED');
    for (const pid of pythonPids) expect(isProcessAlive(pid)).toBe(false);
    expect((await readdir(scratch)).filter((name) => name.startsWith('interrupted-out'))).toEqual([]);
    const listed = await runBuiltCli(['list', '--cache-dir', cacheDirectory, '--json']);
    expect((JSON.parse(listed.stdout) as { conversions: Array<{ sourceId: string }> }).conversions.map((entry) => entry.sourceId)).not.toContain(source);
  });
});
