import { inspectOnnxModel, loadOnnxModel, type OnnxModelInspection, type OnnxValueSummary } from '@gpux/onnx';
import type { Command } from 'commander';
import { formatBytes } from '../output/progress-renderer';
import { runCommand } from '../run-command';

function describeValue(value: OnnxValueSummary): string {
  const dims = value.dims === undefined ? '' : `[${value.dims.map((dim) => (dim === null ? '?' : String(dim))).join(', ')}]`;
  return `  ${value.name}: ${value.elementType ?? value.kind} ${dims}`.trimEnd();
}

/** Formats an inspection for a terminal. */
export function formatInspection(modelPath: string, inspection: OnnxModelInspection): string {
  const lines = [
    modelPath,
    `IR version ${inspection.irVersion ?? '?'}, producer ${[inspection.producerName, inspection.producerVersion].filter(Boolean).join(' ') || '?'}`,
    `opsets: ${inspection.opsetImports.map((opset) => `${opset.domain === '' ? 'ai.onnx' : opset.domain} ${opset.version}`).join(', ')}`,
    'inputs:',
    ...inspection.inputs.map(describeValue),
    'outputs:',
    ...inspection.outputs.map(describeValue),
    `nodes: ${inspection.nodeCount}, initializers: ${inspection.initializerCount}, parameters: ${inspection.parameterCount.toLocaleString('en-US')}`,
  ];
  if (inspection.sizeOnDisk !== undefined) {
    const size = inspection.sizeOnDisk;
    lines.push(`size: ${formatBytes(size.totalBytes)} (${size.totalBytes} bytes${size.externalDataBytes > 0 ? `, ${formatBytes(size.externalDataBytes)} external data in ${inspection.externalDataFiles.length} file(s)` : ''})`);
  }
  if (inspection.localFunctions.length > 0) lines.push(`local functions: ${inspection.localFunctions.join(', ')}`);
  lines.push('operators:');
  const histogram = Object.entries(inspection.operatorHistogram).sort((left, right) => right[1] - left[1] || left[0].localeCompare(right[0]));
  const width = Math.max(0, ...histogram.map(([name]) => name.length));
  for (const [name, count] of histogram) lines.push(`  ${name.padEnd(width)}  ${count}`);
  return lines.join('\n');
}

/** `gpux-convert inspect <model.onnx>`: IO, opsets, operator histogram, size, parameters. */
export function registerInspectCommand(program: Command): void {
  program
    .command('inspect')
    .description('Show an ONNX model\'s inputs and outputs (with dims), opsets, operator histogram, parameter count and size.')
    .argument('<model>', 'an .onnx file (external data is read from its folder)')
    .option('--json', 'print the inspection as one JSON object')
    .action(async (modelPath: string, options: { json?: boolean }) => {
      await runCommand(undefined, Boolean(options.json), async () => {
        const inspection = await inspectOnnxModel(await loadOnnxModel(modelPath), { path: modelPath });
        process.stdout.write((options.json ? JSON.stringify({ type: 'result', path: modelPath, ...inspection }, (_key, value: unknown) => (typeof value === 'bigint' ? Number(value) : value)) : formatInspection(modelPath, inspection)) + '\n');
      });
    });
}
