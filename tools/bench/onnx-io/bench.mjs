// Benchmark (not a test): load + save of an ONNX model with ~1 GiB of weights, with
// @gpux/onnx's ONNX IO and with Python's onnx.load + onnx.save, on the same file in the
// same run. Each measurement runs in its own child process so peak RSS is its own.
//
// Usage: node tools/bench/onnx-io/bench.mjs [--size-mib 1024] [--rounds 2] [--python PATH]
import { execFileSync, spawnSync } from 'node:child_process';
import fs, { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const repository = path.resolve(here, '../../..');
const argument = (name, fallback) => {
  const index = process.argv.indexOf(name);
  return index === -1 ? fallback : process.argv[index + 1];
};
const sizeMib = Number(argument('--size-mib', '1024'));
const rounds = Number(argument('--rounds', '2'));
// Default: the managed pytorch environment (it has numpy and onnx), built by `gpux-convert setup pytorch`.
function managedPytorchPython() {
  const root = path.join(process.env.GPUX_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'gpux'), 'python');
  const candidates = fs.existsSync(root) ? fs.readdirSync(root).map((name) => path.join(root, name, 'bin', 'python')) : [];
  return candidates.find((candidate) => fs.existsSync(candidate) && fs.readdirSync(path.dirname(path.dirname(candidate)) + '/lib').some((lib) => fs.existsSync(path.join(path.dirname(path.dirname(candidate)), 'lib', lib, 'site-packages', 'onnx'))));
}
const python = argument('--python', process.env.GPUX_BENCH_PYTHON ?? managedPytorchPython());
if (!python) throw new Error('No Python with onnx found: run `gpux-convert setup pytorch` or pass --python.');

const work = mkdtempSync(path.join(os.tmpdir(), 'gpux-bench-onnx-io-'));
try {
  // Bundle the TypeScript sources (no dist build needed).
  const entry = path.join(work, 'entry.ts');
  const onnxSources = path.join(repository, 'packages/onnx/src');
  writeFileSync(
    entry,
    `export { loadOnnxModel } from ${JSON.stringify(path.join(onnxSources, 'load-onnx-model.ts'))};\n` +
      `export { saveOnnxModel } from ${JSON.stringify(path.join(onnxSources, 'save-onnx-model.ts'))};\n`,
  );
  const bundle = path.join(work, 'onnx-io.cjs');
  buildSync({ entryPoints: [entry], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile: bundle, logLevel: 'error' });

  const model = path.join(work, 'model.onnx');
  const makeStarted = Date.now();
  execFileSync(python, [path.join(here, 'make_model.py'), model, String(sizeMib)], { stdio: 'inherit' });
  const modelBytes = statSync(model).size;
  console.log(`model: ${(modelBytes / 2 ** 20).toFixed(0)} MiB (${modelBytes} bytes), written by Python onnx in ${((Date.now() - makeStarted) / 1000).toFixed(1)} s`);
  console.log(`node ${process.version}, python ${execFileSync(python, ['-c', 'import onnx,sys;print(sys.version.split()[0], "onnx", onnx.__version__)']).toString().trim()}`);

  const run = (tool, mode) => {
    const target = path.join(work, `out-${tool}-${mode}.onnx`);
    const json =
      tool === 'gpux'
        ? execFileSync(process.execPath, [path.join(here, 'node-load-save.cjs'), bundle, model, target, mode])
        : execFileSync(python, [path.join(here, 'python_load_save.py'), model, target, mode]);
    const result = JSON.parse(json.toString().trim().split('\n').pop());
    let identical = '';
    // cmp, not readFileSync: a child's peak RSS on Linux starts from its parent's at fork time,
    // so this process must stay small.
    if (mode === 'inline') identical = spawnSync('cmp', ['-s', target, model]).status === 0 ? 'yes' : 'no';
    rmSync(target, { force: true });
    rmSync(`${target}.data`, { force: true });
    return { tool, mode, ...result, identical };
  };

  const rows = [];
  for (let round = 1; round <= rounds; round += 1) {
    for (const mode of ['inline', 'external']) {
      for (const tool of ['gpux', 'python-onnx']) rows.push({ round, ...run(tool, mode) });
    }
  }
  console.log('\n| round | tool | save as | load (s) | save (s) | load+save (s) | peak RSS (MiB) | output identical to input |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const row of rows) {
    const total = (row.loadMs + row.saveMs) / 1000;
    console.log(
      `| ${row.round} | ${row.tool} | ${row.mode} | ${(row.loadMs / 1000).toFixed(2)} | ${(row.saveMs / 1000).toFixed(2)} | ${total.toFixed(2)} | ${(row.peakRssBytes / 2 ** 20).toFixed(0)} | ${row.identical || 'n/a'} |`,
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
