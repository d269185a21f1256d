#!/usr/bin/env node
// Measurement (not a test) behind docs/decisions/0001-onnx-wire-codec.md: load time and peak RSS of
// our wire codec against protobufjs (reflection root parsed from the pinned onnx.proto) on the same
// model file, each in its own child process so the peak RSS is that tool's alone.
//
//   node packages/onnx/scripts/measure-wire-codec.mjs [--model FILE.onnx | --float-data] [--rounds 2] [--python PYTHON]
//
// Without --model it writes a ~96 MiB MatMul-chain model (raw_data) with
// tools/bench/onnx-io/make_model.py; with --float-data, one 96 MiB initializer in packed float_data.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const packageDirectory = path.resolve(here, '..');
const repositoryRoot = path.resolve(packageDirectory, '..', '..');

const argument = (name, fallback) => {
  const index = process.argv.indexOf(name);
  return index === -1 ? fallback : process.argv[index + 1];
};
const rounds = Number(argument('--rounds', '2'));

function managedPytorchPython() {
  const root = path.join(process.env.GPUX_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'gpux'), 'python');
  for (const hash of existsSync(root) ? readdirSync(root).sort() : []) {
    const manifest = path.join(root, hash, 'gpux-environment.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).requirementSet === 'pytorch') {
      return path.join(root, hash, 'bin', 'python');
    }
  }
  throw new Error('no managed pytorch environment: run `gpux-convert setup pytorch` or pass --python');
}

// The child: one measurement, printed as JSON.
async function child([mode, bundle, protoFile, model, output]) {
  const { performance } = await import('node:perf_hooks');
  const fs = await import('node:fs');
  const started = performance.now();
  const result = { mode };
  if (mode === 'baseline') {
    await import('protobufjs');
  } else if (mode.startsWith('gpux')) {
    const { loadOnnxModel, saveOnnxModel } = (await import(bundle)).default;
    const loaded = await loadOnnxModel(model);
    result.loadMs = performance.now() - started;
    const initializers = loaded.graph.initializer;
    const fileBytes = fs.statSync(model).size;
    result.initializers = initializers.length;
    // Views into one buffer of the file's size: the tensor bytes were not copied.
    result.rawDataViews = initializers.filter((tensor) => tensor.rawData?.buffer.byteLength >= fileBytes).length;
    result.floatDataType = initializers.find((tensor) => tensor.floatData.length > 0)?.floatData.constructor.name;
    if (mode === 'gpux-load-save') {
      const saveStarted = performance.now();
      await saveOnnxModel(loaded, output);
      result.saveMs = performance.now() - saveStarted;
    }
  } else {
    const protobuf = (await import('protobufjs')).default;
    const { root } = protobuf.parse(fs.readFileSync(protoFile, 'utf8'), { keepCase: true });
    // Without resolveAll(), protobufjs 7.6 has not resolved the proto2 [packed = true] option and
    // writes float_data unpacked (one tag per element).
    root.resolveAll();
    const ModelProto = root.lookupType('onnx.ModelProto');
    const bytes = fs.readFileSync(model);
    const input = mode.includes('uint8array') ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : bytes;
    const readStarted = performance.now();
    const decoded = ModelProto.decode(input);
    result.readMs = readStarted - started;
    result.loadMs = performance.now() - started;
    const initializers = decoded.graph.initializer;
    result.initializers = initializers.length;
    result.rawDataViews = initializers.filter((tensor) => tensor.raw_data?.buffer === bytes.buffer).length;
    result.rawDataType = initializers.find((tensor) => tensor.raw_data?.length > 0)?.raw_data.constructor.name;
    result.floatDataType = initializers.find((tensor) => tensor.float_data?.length > 0)?.float_data.constructor.name;
    if (mode.endsWith('-save')) {
      const saveStarted = performance.now();
      const encoded = ModelProto.encode(decoded).finish();
      fs.writeFileSync(output, encoded);
      result.saveMs = performance.now() - saveStarted;
    }
  }
  result.peakRssMib = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

// One 4096x6144 float32 initializer (96 MiB) stored in TensorProto.float_data, not raw_data.
const FLOAT_DATA_MODEL = `
import sys
import numpy as np
import onnx
from onnx import TensorProto, helper
weight = np.random.default_rng(0).standard_normal((4096, 6144), dtype=np.float32)
tensor = TensorProto(name="weight", data_type=TensorProto.FLOAT, dims=weight.shape)
tensor.float_data[:] = weight.ravel()
graph = helper.make_graph(
    [helper.make_node("MatMul", ["x", "weight"], ["y"])], "float-data",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4096])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 6144])],
    initializer=[tensor])
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)], ir_version=10), sys.argv[1])
`;

function findCodecSources() {
  for (const directory of [path.join(packageDirectory, 'src'), path.join(repositoryRoot, 'packages/converter-core/src/onnx')]) {
    if (existsSync(path.join(directory, 'load-onnx-model.ts'))) return directory;
  }
  throw new Error('load-onnx-model.ts not found');
}

async function main() {
  const python = argument('--python', process.env.GPUX_PYTHON ?? managedPytorchPython());
  const work = mkdtempSync(path.join(os.tmpdir(), 'gpux-measure-codec-'));
  try {
    const { buildSync } = await import('esbuild');
    const sources = findCodecSources();
    const entry = path.join(work, 'entry.ts');
    writeFileSync(
      entry,
      `export { loadOnnxModel } from ${JSON.stringify(path.join(sources, 'load-onnx-model.ts'))};\n` +
        `export { saveOnnxModel } from ${JSON.stringify(path.join(sources, 'save-onnx-model.ts'))};\n`,
    );
    const bundle = path.join(work, 'codec.cjs');
    buildSync({ entryPoints: [entry], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile: bundle, logLevel: 'error' });

    const onnxDirectory = execFileSync(python, ['-c', 'import onnx, os; print(os.path.dirname(onnx.__file__))']).toString().trim();
    const protoFile = path.join(onnxDirectory, 'onnx.proto');
    let model = argument('--model');
    if (model === undefined && process.argv.includes('--float-data')) {
      model = path.join(work, 'float-data.onnx');
      execFileSync(python, ['-c', FLOAT_DATA_MODEL, model], { stdio: 'inherit' });
    } else if (model === undefined) {
      model = path.join(work, 'model.onnx');
      execFileSync(python, [path.join(repositoryRoot, 'tools/bench/onnx-io/make_model.py'), model, '96'], { stdio: 'inherit' });
    }
    const fileBytes = statSync(model).size;
    console.log(`model ${model}: ${(fileBytes / 2 ** 20).toFixed(1)} MiB (${fileBytes} bytes)`);
    console.log(`node ${process.version}, protobufjs ${JSON.parse(readFileSync(path.join(path.dirname(fileURLToPath(import.meta.resolve('protobufjs'))), 'package.json'), 'utf8')).version}, nproc ${os.availableParallelism()}, load ${os.loadavg().map((value) => value.toFixed(2)).join(' ')}`);

    const modes = ['baseline', 'gpux-load', 'protobufjs-decode-buffer', 'protobufjs-decode-uint8array', 'gpux-load-save', 'protobufjs-decode-save'];
    const rows = [];
    for (let round = 1; round <= rounds; round += 1) {
      for (const mode of modes) {
        const output = path.join(work, `out-${mode}.onnx`);
        const run = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', mode, bundle, protoFile, model, output], { encoding: 'utf8' });
        if (run.status !== 0) throw new Error(`${mode} failed:\n${run.stderr}`);
        const result = JSON.parse(run.stdout.trim().split('\n').pop());
        if (existsSync(output)) {
          result.identical = spawnSync('cmp', ['-s', output, model]).status === 0 ? 'yes' : 'no';
          if (result.identical === 'no') result.identical += statSync(output).size === fileBytes ? ' (same size)' : ` (${statSync(output).size} bytes)`;
          rmSync(output, { force: true });
        }
        rows.push({ round, ...result });
      }
    }
    console.log('\n| round | run | load (s) | save (s) | peak RSS (MiB) | raw_data views / initializers | output identical to input |');
    console.log('|---|---|---|---|---|---|---|');
    const seconds = (value) => (value === undefined ? '' : (value / 1000).toFixed(2));
    for (const row of rows) {
      const views = row.initializers === undefined ? '' : `${row.rawDataViews} / ${row.initializers}`;
      console.log(`| ${row.round} | ${row.mode} | ${seconds(row.loadMs)} | ${seconds(row.saveMs)} | ${row.peakRssMib.toFixed(0)} | ${views} | ${row.identical ?? ''} |`);
    }
    console.log(`protobufjs raw_data type: ${rows.find((row) => row.rawDataType)?.rawDataType}`);
    for (const row of rows.filter((entry) => entry.round === 1 && entry.floatDataType)) console.log(`${row.mode}: float_data as ${row.floatDataType}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') await child(process.argv.slice(3));
else await main();
