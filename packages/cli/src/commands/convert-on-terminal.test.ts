import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createTensor, makeGraph, makeModel, makeNode, makeValueInfo, saveOnnxModel } from '@gpux/onnx';
import { runInPty } from '../test-support/run-in-pty';
import { builtCliPath } from '../test-support/run-built-cli';
import { renderScreen } from '../test-support/terminal-screen';

/** A tiny ONNX model (x[batch,64] @ w[64,32]): an ONNX source needs no Python, so the run is quick. */
async function writeTinyMatMul(file: string): Promise<void> {
  const weights = Float32Array.from({ length: 64 * 32 }, (_, index) => Math.sin(index) * 0.1);
  const graph = makeGraph([makeNode('MatMul', ['x', 'w'], ['y'])], 'tiny', [makeValueInfo('x', 'float32', ['batch', 64])], [makeValueInfo('y', 'float32', ['batch', 32])], {
    initializer: [createTensor('w', 'float32', [64, 32], weights)],
  });
  await saveOnnxModel(makeModel(graph, { opsetImports: [{ domain: '', version: 17 }] }), file);
}

describe('gpux-convert convert on a terminal (a real pty, replayed through xterm.js)', () => {
  let scratch: string;
  let source: string;

  beforeAll(async () => {
    scratch = await mkdtemp(path.join(os.tmpdir(), 'gpux-cli-pty-'));
    source = path.join(scratch, 'tiny.onnx');
    await writeTinyMatMul(source);
  });

  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it.each([
    [120, 24],
    [60, 40],
  ])('leaves the summary table on the final screen (%i x %i), below finished bars', async (columns, rows) => {
    const output = path.join(scratch, `out-${columns}`);
    const run = await runInPty([process.execPath, builtCliPath, 'convert', source, '-o', output, '--quantize', 'int8,fp16', '--cache-dir', path.join(scratch, `cache-${columns}`)], {
      columns,
      rows,
      env: { GPUX_CACHE_DIR: path.join(scratch, 'gpux-cache') },
    });
    expect(run.exitCode).toBe(0);
    const screen = await renderScreen(run.output, columns, rows);
    const text = screen.join('\n');
    // The table's rows start a screen line each (a row wider than the terminal wraps onto the next).
    const header = screen.findIndex((row) => /^file +variant +size +validation/.test(row));
    expect(header).toBeGreaterThan(0);
    const rowStarts = screen.slice(header).filter((row) => row.startsWith('onnx/')).map((row) => row.split(/ +/).slice(0, 2).join(' '));
    expect(rowStarts).toEqual(['onnx/model.onnx fp32', 'onnx/model_int8.onnx quantize-int8', 'onnx/model_fp16.onnx fp16']);
    expect(text).toContain(`Output: ${output}`);
    // Every bar above the table finished at 100% and nothing was drawn over or below the table.
    const bars = screen.slice(0, header).filter((row) => row.includes('|'));
    expect(bars.length).toBeGreaterThan(0);
    for (const bar of bars) expect(bar).toMatch(/ 100% \| \d+\.\ds \| done/);
    expect(screen.slice(header).some((row) => /\d+% \|/.test(row))).toBe(false);
    for (const row of screen) expect(row.length).toBeLessThanOrEqual(columns);
  });
});
