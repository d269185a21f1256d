// Bench aid (not a test): per-operator time of one or more models in onnxruntime-node (CPU), from
// onnxruntime's own profiler (`enableProfiling`). Prints, per variant, the total kernel time by op
// type (summed over all nodes, median of the profiled runs) and the optimized graph's op histogram
// (what onnxruntime's session-time optimizer made of the file: `optimizedModelFilePath`).
//
// usage: node profile.mjs --batch 8 --sequence 128 --runs 10 [--level all] [--keep-optimized DIR] [--per-node] [--threads N] NAME=PATH [NAME=PATH ...]
// --level: graphOptimizationLevel given to the session ('default' leaves it unset, as a user gets).
import { argument, ort, variantArguments } from './bench-arguments.mjs';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const batch = Number(argument('--batch', '8'));
const sequence = Number(argument('--sequence', '128'));
const runs = Number(argument('--runs', '10'));
const level = argument('--level', 'default');
const keep = argument('--keep-optimized', undefined);
const threads = argument('--threads', undefined);
const variants = variantArguments();

function feeds(session) {
  const result = {};
  for (const name of session.inputNames) {
    if (name === 'pixel_values') {
      result[name] = new ort.Tensor('float32', new Float32Array(batch * 3 * 32 * 32).fill(0.5), [batch, 3, 32, 32]);
      continue;
    }
    const data = new BigInt64Array(batch * sequence);
    for (let index = 0; index < data.length; index += 1) data[index] = name === 'input_ids' ? BigInt(index % 997) : name === 'attention_mask' ? 1n : 0n;
    result[name] = new ort.Tensor('int64', data, [batch, sequence]);
  }
  return result;
}

const work = mkdtempSync(path.join(tmpdir(), 'gpux-profile-'));
try {
  for (const variant of variants) {
    const optimized = path.join(work, `${variant.name}-optimized.onnx`);
    const options = { enableProfiling: true, profileFilePrefix: path.join(work, variant.name), optimizedModelFilePath: optimized };
    if (level !== 'default') options.graphOptimizationLevel = level;
    if (threads !== undefined) options.intraOpNumThreads = Number(threads);
    const session = await ort.InferenceSession.create(variant.file, options);
    const input = feeds(session);
    for (let warm = 0; warm < 3; warm += 1) await session.run(input);
    for (let run = 0; run < runs; run += 1) await session.run(input);
    // endProfiling writes the JSON trace; its path is `${prefix}_<date>.json`.
    session.endProfiling();
    await session.release();
    const trace = readdirSync(work).find((file) => file.startsWith(`${variant.name}_`) && file.endsWith('.json'));
    const events = JSON.parse(readFileSync(path.join(work, trace), 'utf8'));
    const perRun = new Map();
    const totals = [];
    for (const event of events) {
      if (event.cat === 'Session' && event.name === 'model_run') {
        totals.push(event.dur / 1000);
        continue;
      }
      if (event.cat !== 'Node' || !event.name.endsWith('_kernel_time')) continue;
      const op = process.argv.includes('--per-node') ? `${event.args?.op_name ?? '?'} ${event.name.replace(/_kernel_time$/, '')}` : (event.args?.op_name ?? '?');
      if (!perRun.has(op)) perRun.set(op, []);
      perRun.get(op).push(event.dur / 1000);
    }
    const runIndex = totals.length;
    // Sum per op type of each node's median over the runs (robust to the odd slow run on a busy machine).
    const byNode = new Map();
    for (const event of events) {
      if (event.cat !== 'Node' || !event.name.endsWith('_kernel_time')) continue;
      const key = event.name;
      if (!byNode.has(key)) byNode.set(key, { op: event.args?.op_name ?? '?', durations: [] });
      byNode.get(key).durations.push(event.dur / 1000);
    }
    const grouped = new Map();
    for (const [key, { op, durations }] of byNode) {
      durations.sort((a, b) => a - b);
      const label = process.argv.includes('--per-node') ? `${op} ${key.replace(/_kernel_time$/, '')}` : op;
      const entry = grouped.get(label) ?? { op: label, msPerRun: 0, nodes: 0 };
      entry.msPerRun += durations[Math.floor(durations.length / 2)];
      entry.nodes += 1;
      grouped.set(label, entry);
    }
    void perRun;
    const rows = [...grouped.values()];
    rows.sort((a, b) => b.msPerRun - a.msPerRun);
    if (keep !== undefined) copyFileSync(optimized, path.join(keep, `${variant.name}-ort-${level}.onnx`));
    totals.sort((a, b) => a - b);
    const median = totals[Math.floor(totals.length / 2)];
    process.stdout.write(`\n== ${variant.name} (${variant.file}) level=${level} runs=${runIndex} median model_run ${median?.toFixed(1)} ms\n`);
    for (const row of rows) process.stdout.write(`${row.op.padEnd(28)} ${row.msPerRun.toFixed(2).padStart(9)} ms  ${String(row.nodes).padStart(5)} nodes\n`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
