// Times @gpux/onnx's loadOnnxModel + saveOnnxModel in this process and prints JSON
// (milliseconds, peak RSS). Usage: node node-load-save.cjs BUNDLE INPUT OUTPUT [external]
const { performance } = require('node:perf_hooks');

async function main() {
  const [bundle, source, target, mode] = process.argv.slice(2);
  const { loadOnnxModel, saveOnnxModel } = require(bundle);
  const started = performance.now();
  const model = await loadOnnxModel(source);
  const loaded = performance.now();
  await saveOnnxModel(model, target, { externalData: mode === 'external' });
  const saved = performance.now();
  const peakRssBytes = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(`${JSON.stringify({ loadMs: loaded - started, saveMs: saved - loaded, peakRssBytes })}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
