/**
 * Bench child: `node fuse-model.cjs INPUT OUTPUT [--approximate-gelu] [--skip-layer-normalization]`
 * runs our O2 fusions on one model and prints one JSON line (wall time, fused counts, per-layer
 * attention result).
 * Bundled by run-benchmark.sh with esbuild (the @gpux/* packages resolve to their sources).
 */
import { loadOnnxModel, saveOnnxModel } from '@gpux/onnx';
import { applyTransformerFusions } from '../../../packages/optimizer/src/fusions/apply-transformer-fusions';

async function main(): Promise<void> {
  const [input, output, ...flags] = process.argv.slice(2);
  if (input === undefined || output === undefined) throw new TypeError('usage: fuse-model INPUT OUTPUT [--approximate-gelu] [--skip-layer-normalization]');
  const started = process.hrtime.bigint();
  const model = await loadOnnxModel(input);
  const report = applyTransformerFusions(model, {
    approximateGelu: flags.includes('--approximate-gelu'),
    skipLayerNormalization: flags.includes('--skip-layer-normalization'),
  });
  await saveOnnxModel(model, output);
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const notFused = report.layers.filter((layer) => layer.attention === 'not-fused');
  process.stdout.write(`${JSON.stringify({ tool: 'gpux-o2', wallSeconds, fused: report.fused, layers: report.layers.length, notFused })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
