import { setTimeout as delay } from 'node:timers/promises';
import type { ProgressEvent } from '@gpux/converter-core';
import { FakeTerminalStream, renderScreen } from '../test-support/terminal-screen';
import { ProgressRenderer } from './progress-renderer';

const renderers: ProgressRenderer[] = [];
// A failed expectation must not leave cli-progress's redraw timer running.
afterEach(() => renderers.splice(0).forEach((renderer) => renderer.stop()));

function ttyRenderer(columns: number): { renderer: ProgressRenderer; stderr: FakeTerminalStream; stdout: FakeTerminalStream } {
  const stderr = new FakeTerminalStream(columns);
  const stdout = new FakeTerminalStream(columns);
  const renderer = new ProgressRenderer('tty', { stdout, stderr });
  renderers.push(renderer);
  return { renderer, stderr, stdout };
}

/** Lets cli-progress's redraw timer (10 per second) draw the live lines. */
const redraw = () => delay(250);

const exportEvents: ProgressEvent[] = [
  { type: 'phase-start', phase: 'export', label: 'pytorch' },
  // The Python bridge labels its steps; they belong to the export's line.
  { type: 'percent', phase: 'export', label: 'loading torch', percent: 2 },
  { type: 'message', phase: 'export', level: 'info', message: 'loading torch' },
  { type: 'percent', phase: 'export', label: 'exporting model', percent: 10 },
  { type: 'phase-end', phase: 'export', label: 'pytorch', durationMs: 4_200, peakRssBytes: 63.5 * 1024 * 1024 },
  { type: 'phase-start', phase: 'validate', label: 'onnx/model.onnx' },
  { type: 'percent', phase: 'validate', label: 'batch_size=1, sequence_length=8', percent: 50 },
  { type: 'percent', phase: 'validate', label: 'batch_size=2, sequence_length=16', percent: 100 },
  { type: 'phase-end', phase: 'validate', label: 'onnx/model.onnx', durationMs: 300 },
];

describe('ProgressRenderer (tty)', () => {
  it('leaves one 100% line per finished phase and no frozen step bars', async () => {
    const { renderer, stderr } = ttyRenderer(120);
    for (const event of exportEvents) renderer.handle(event);
    renderer.stop();
    const screen = (await renderScreen(stderr.output, 120, 10)).filter((row) => row !== '');
    expect(screen).toHaveLength(2);
    expect(screen[0]).toMatch(/^ export:pytorch +\|█{24}\| 100% \| 4\.2s \| done, peak RSS 63\.5 MiB$/);
    expect(screen[1]).toMatch(/^ validate:onnx\/model\.onnx \|█{24}\| 100% \| 0\.3s \| done$/);
    expect(stderr.output).not.toMatch(/export:loading torch|validate:batch_size/);
  });

  it('shows a running phase once, with its latest step as the detail, then a spinner where no percent is known', async () => {
    const { renderer, stderr } = ttyRenderer(120);
    renderer.handle({ type: 'phase-start', phase: 'export', label: 'pytorch' });
    renderer.handle({ type: 'percent', phase: 'export', label: 'loading torch', percent: 2 });
    renderer.handle({ type: 'percent', phase: 'export', label: 'exporting model', percent: 10 });
    renderer.handle({ type: 'phase-start', phase: 'resolve' });
    await redraw();
    const screen = (await renderScreen(stderr.output, 120, 10)).filter((row) => row !== '');
    expect(screen).toHaveLength(2);
    expect(screen[0]).toMatch(/^ export:pytorch +\|██░+\| {2}10% \| \d+\.\ds \| exporting model$/);
    expect(screen[1]).toMatch(/^ resolve +[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] +\| \d+\.\ds$/);
    renderer.stop();
  });

  it('stops once: a second stop writes nothing, and later lines print below the bars', async () => {
    const { renderer, stderr } = ttyRenderer(100);
    renderer.handle({ type: 'phase-start', phase: 'download' });
    renderer.handle({ type: 'bytes-progress', phase: 'download', transferredBytes: 512 * 1024, totalBytes: 1024 * 1024 });
    await redraw();
    renderer.stop();
    const afterFirstStop = stderr.output.length;
    renderer.stop();
    renderer.handle({ type: 'percent', phase: 'download', percent: 70 });
    expect(stderr.output.length).toBe(afterFirstStop);
    renderer.log('summary row 1');
    stderr.write('summary row 2\n');
    await redraw();
    const screen = (await renderScreen(stderr.output, 100, 6)).filter((row) => row !== '');
    // A bar still running when the operation stops stays as it stood, above what follows.
    expect(screen).toEqual([expect.stringMatching(/^ download +\|█{12}░{12}\| {2}50% \| \d+\.\ds \| 512\.0 KiB \/ 1\.0 MiB$/), 'summary row 1', 'summary row 2']);
  });

  it('fits the lines to the terminal: wider than 80 columns in full, cut labels (not numbers) when narrow', async () => {
    const detail = 'Downloading torch-2.9.1-cp312-cp312-manylinux_2_28_x86_64.whl (899.7 MB)';
    for (const columns of [150, 50]) {
      const { renderer, stderr } = ttyRenderer(columns);
      renderer.handle({ type: 'phase-start', phase: 'setup', label: 'python:pytorch-environment' });
      renderer.handle({ type: 'percent', phase: 'setup', label: 'python:pytorch-environment', percent: 37.5 });
      renderer.handle({ type: 'message', phase: 'setup', level: 'info', message: detail });
      await redraw();
      const [row] = (await renderScreen(stderr.output, columns, 4)).filter((line) => line !== '');
      renderer.stop();
      expect(row?.length).toBeLessThan(columns);
      expect(row).toContain(' 37% | ');
      if (columns === 150) expect(row?.endsWith(detail)).toBe(true);
      else expect(row).toMatch(/^ setup:python:pytorch-e… \|█+░+\| {2}37% \| \d+\.\ds$/);
    }
  });

  it('shows a step without measurable progress as a spinner until it ends at 100%', async () => {
    const { renderer, stderr } = ttyRenderer(100);
    const end = renderer.startStep('latency onnx/model.onnx');
    await redraw();
    const running = (await renderScreen(stderr.output, 100, 4)).filter((row) => row !== '');
    expect(running).toEqual([expect.stringMatching(/^ latency onnx\/model\.onnx +[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] +\| \d+\.\ds$/)]);
    end();
    renderer.stop();
    const done = (await renderScreen(stderr.output, 100, 4)).filter((row) => row !== '');
    expect(done).toEqual([expect.stringMatching(/^ latency onnx\/model\.onnx +\|█{24}\| 100% \| \d+\.\ds \| done$/)]);
  });

  it('keeps warnings on screen above the bars', async () => {
    const { renderer, stderr } = ttyRenderer(100);
    renderer.handle({ type: 'phase-start', phase: 'validate', label: 'onnx/model.onnx' });
    renderer.handle({ type: 'message', phase: 'validate', level: 'warning', message: 'no reference cases' });
    renderer.handle({ type: 'phase-end', phase: 'validate', label: 'onnx/model.onnx', durationMs: 10 });
    renderer.stop();
    const screen = (await renderScreen(stderr.output, 100, 4)).filter((row) => row !== '');
    expect(screen[0]).toBe('  warning: no reference cases');
    expect(screen[1]).toMatch(/^ validate:onnx\/model\.onnx \|█{24}\| 100% \| 0\.0s \| done$/);
  });
});

describe('ProgressRenderer (json and plain)', () => {
  it('writes each event as a JSON line in json mode and nothing on stderr', () => {
    const stderr = new FakeTerminalStream(80);
    const stdout = new FakeTerminalStream(80);
    const renderer = new ProgressRenderer('json', { stdout, stderr });
    renderer.handle({ type: 'percent', phase: 'export', percent: 40 });
    renderer.startStep('latency')();
    renderer.stop();
    expect(stdout.output).toBe('{"type":"progress","event":{"type":"percent","phase":"export","percent":40}}\r\n');
    expect(stderr.output).toBe('');
  });

  it('writes a line per start, end and 10% step in plain mode', () => {
    const stderr = new FakeTerminalStream(80);
    const renderer = new ProgressRenderer('plain', { stdout: new FakeTerminalStream(80), stderr });
    renderer.handle({ type: 'phase-start', phase: 'export' });
    for (const percent of [3, 12, 15, 27]) renderer.handle({ type: 'percent', phase: 'export', percent });
    renderer.handle({ type: 'phase-end', phase: 'export', durationMs: 1_500 });
    expect(stderr.output.split('\r\n').filter(Boolean)).toEqual(['[export] started', '[export] 0%', '[export] 10%', '[export] 20%', '[export] done in 1.5s']);
  });

  it('reports labelled steps under the running phase in plain mode, not as phases of their own', () => {
    const stderr = new FakeTerminalStream(80);
    const renderer = new ProgressRenderer('plain', { stdout: new FakeTerminalStream(80), stderr });
    for (const event of exportEvents.filter((entry) => entry.type !== 'message')) renderer.handle(event);
    expect(stderr.output.split('\r\n').filter(Boolean)).toEqual([
      '[export:pytorch] started',
      '[export:pytorch] 0% (loading torch)',
      '[export:pytorch] 10% (exporting model)',
      '[export:pytorch] done in 4.2s, peak RSS 63.5 MiB',
      '[validate:onnx/model.onnx] started',
      '[validate:onnx/model.onnx] 50% (batch_size=1, sequence_length=8)',
      '[validate:onnx/model.onnx] 100% (batch_size=2, sequence_length=16)',
      '[validate:onnx/model.onnx] done in 0.3s',
    ]);
  });
});
