import { formatElapsed, formatProgressLine } from './format-progress-line';

describe('formatProgressLine', () => {
  it('shows the label, a bar, the percent, the elapsed time and the detail', () => {
    const line = formatProgressLine({ label: 'export:pytorch', percent: 50, elapsedMs: 12_345, detail: 'exporting model', width: 120, barSize: 10 });
    expect(line).toBe(' export:pytorch |█████░░░░░|  50% | 12.3s | exporting model');
  });

  it('floors the percent, so 99.6% does not read as done', () => {
    expect(formatProgressLine({ label: 'setup', percent: 99.6, elapsedMs: 0, width: 80 })).toContain('  99%');
    expect(formatProgressLine({ label: 'setup', percent: 100, elapsedMs: 0, width: 80 })).toContain(' 100%');
  });

  it('uses the whole width of a wide terminal, not 80 columns', () => {
    const detail = 'Downloading torch-2.9.1-cp312-cp312-manylinux_2_28_x86_64.whl (899.7 MB) from the package index';
    const line = formatProgressLine({ label: 'setup:pytorch', percent: 40, elapsedMs: 61_000, detail, width: 200 });
    expect(line.length).toBeGreaterThan(120);
    expect(line.endsWith(detail)).toBe(true);
    expect(line).toContain('| 1m01s |');
  });

  it('on a narrow terminal cuts the detail, then the label and the bar, never the percent or the time', () => {
    const options = { label: 'quantize:quantize-int8: onnx/model_int8.onnx', percent: 42, elapsedMs: 3_200, detail: 'node sensitivity of 1,234 MatMul nodes' };
    for (const width of [100, 60, 40, 24]) {
      const line = formatProgressLine({ ...options, width });
      expect(line.length).toBeLessThanOrEqual(width - 1);
      expect(line).toContain('42%');
      expect(line).toContain('3.2s');
    }
    const sixty = formatProgressLine({ ...options, width: 60 });
    expect(sixty).toBe(' quantize:quantize-int… |████░░░░░░|  42% | 3.2s | node se…');
    expect(formatProgressLine({ ...options, width: 24 })).toBe(' quantize:…  42% | 3.2s');
  });

  it('shows a spinner and the elapsed time, no percent, when progress is not measurable', () => {
    const first = formatProgressLine({ label: 'resolve', percent: undefined, elapsedMs: 0, width: 80, barSize: 10 });
    const later = formatProgressLine({ label: 'resolve', percent: undefined, elapsedMs: 350, width: 80, barSize: 10 });
    expect(first).not.toContain('%');
    expect(first).toContain('| 0.0s');
    expect(first.slice(9, 10)).toBe('⠋');
    expect(later.slice(9, 10)).toBe('⠸');
    // The elapsed column sits where it does for a bar, so stacked lines line up.
    expect(first.indexOf('| 0.0s')).toBe(formatProgressLine({ label: 'resolve', percent: 5, elapsedMs: 0, width: 80, barSize: 10 }).indexOf('| 0.0s'));
  });

  it('formats elapsed time in seconds, then minutes', () => {
    expect(formatElapsed(0)).toBe('0.0s');
    expect(formatElapsed(59_949)).toBe('59.9s');
    expect(formatElapsed(125_000)).toBe('2m05s');
  });
});
