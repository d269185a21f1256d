/**
 * One measured export: `node bench-child.cjs MODEL_DIR OUT_DIR WORK_DIR [TASK|-] [ADAPTER_OPTIONS_JSON]`
 * (`node bench-child.cjs --python` prints the managed interpreter instead). Runs the PyTorch
 * adapter as a user would (managed Python environment, default options) and prints one JSON line:
 * wall time, the Python child's peak RSS (ExportResult.peakRssBytes), and the sizes on disk.
 * Bundled by run-benchmark.sh with esbuild (the @gpux/* packages resolve to their sources).
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

import { drainEvents, ensurePythonEnvironment } from '@gpux/converter-core';
import { createPytorchAdapter, pytorchRequirements } from '@gpux/pytorch-adapter';

async function directoryBytes(directory: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(directory)) total += (await stat(path.join(directory, name))).size;
  return total;
}

async function main(): Promise<void> {
  if (process.argv[2] === '--python') {
    process.stdout.write(`${(await ensurePythonEnvironment(pytorchRequirements)).pythonExecutable}\n`);
    return;
  }
  const [modelDirectory, outputDirectory, workDirectory, task, adapterOptionsJson] = process.argv.slice(2);
  if (modelDirectory === undefined || outputDirectory === undefined || workDirectory === undefined) {
    throw new TypeError('usage: bench-child MODEL_DIR OUT_DIR WORK_DIR [TASK|-] [ADAPTER_OPTIONS_JSON]');
  }
  const adapter = createPytorchAdapter();
  const source = { path: modelDirectory, kind: 'directory' as const };
  const detection = await adapter.detect(source);
  if (detection === undefined) throw new Error(`${modelDirectory} is not a PyTorch model directory`);
  const phases: Record<string, number> = {};
  const started = process.hrtime.bigint();
  const seconds = (): number => Number(process.hrtime.bigint() - started) / 1e9;
  const result = await drainEvents(
    adapter.export({
      source,
      detection,
      outputDirectory,
      workDirectory,
      ...(task === undefined || task === '-' ? {} : { task }),
      ...(adapterOptionsJson === undefined ? {} : { adapterOptions: JSON.parse(adapterOptionsJson) as Record<string, unknown> }),
    }),
    (event) => {
      if (event.type === 'percent' && event.label !== undefined && !(event.label in phases)) phases[event.label] = seconds();
    },
  );
  const wallSeconds = seconds();
  process.stdout.write(
    `${JSON.stringify({
      task: result.task,
      exporter: result.exporter,
      wallSeconds,
      peakRssBytes: result.peakRssBytes,
      sourceBytes: await directoryBytes(modelDirectory),
      onnxBytes: await directoryBytes(outputDirectory),
      files: result.files.map((file) => path.basename(file.path)),
      notes: result.notes,
      phaseStartSeconds: phases,
    })}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
