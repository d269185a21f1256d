/**
 * One measured run of our tool in its own process: `node bench-child.cjs MODE INPUT OUTPUT`.
 * MODE: int8 | uint8 | q8 | q4 | int8-per-channel (quantizeModel) | fp16 (convertModelToFloat16) |
 * O2 (optimizeModel level 'O2'). Prints one JSON line: wall time and peak RSS.
 * Bundled by run-benchmark.sh with esbuild (the @gpux/* packages resolve to their sources).
 */
import { convertModelToFloat16, optimizeModel, quantizeModel } from '@gpux/optimizer';

async function main(): Promise<void> {
  const [mode, input, output] = process.argv.slice(2);
  if (mode === undefined || input === undefined || output === undefined) throw new TypeError('usage: bench-child MODE INPUT OUTPUT');
  const started = process.hrtime.bigint();
  let detail: unknown;
  if (mode === 'fp16') {
    const result = await convertModelToFloat16(input, output);
    detail = { initializersConverted: result.report.initializersConverted, nodesKeptInFloat32: result.report.nodesKeptInFloat32.length, externalData: result.externalDataPath !== undefined };
  } else if (mode === 'O2') {
    // No validation inside the timed call: evaluate_models.py measures accuracy for every tool alike.
    const result = await optimizeModel(input, output, { level: 'O2', validate: false });
    detail = { nodes: result.nodeCount, fused: result.fusionReport?.fused ?? {}, notes: result.notes.slice(0, 4) };
  } else {
    const perChannel = mode.endsWith('-per-channel');
    const result = await quantizeModel(input, output, { mode: mode.replace('-per-channel', '') as 'int8', perChannel, validate: false });
    detail = { quantizedNodes: result.quantizedNodes.length, skippedNodes: result.skippedNodes.length, notes: result.notes.slice(0, 3) };
  }
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(`${JSON.stringify({ tool: 'gpux', mode, wallSeconds, peakRssMiB: process.resourceUsage().maxRSS / 1024, detail })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
