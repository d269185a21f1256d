// Bench (not a test): onnxruntime-node CPU latency of several variants of one model, interleaved
// (each round runs every variant once, in rotating order), medians per variant, same process.
// In a round a variant runs as a block: a pause, one untimed run, then --block timed runs back to
// back, whose median is the round's time. The pause lets the previous variant's thread pool go idle
// (onnxruntime's intra-op workers spin for a while after a run and would steal the cores); the
// untimed run wakes this variant's own workers, so the timed runs see a warm pool, as a server
// calling run() back to back does. Without this, on a 16-core machine three sessions' pools made
// every run 3x slower than the same session alone.
// Also checks the variants' outputs against the first one on the benchmark input.
//
// usage: node latency.mjs --batch 8 --sequence 128 --rounds 20 --warmup 3 [--block 5] [--gap-ms 30] [--threads N] [--level L] NAME=PATH [NAME=PATH ...]
// Session options: onnxruntime-node's defaults (graphOptimizationLevel 'all', one intra-op thread
// per core) unless --threads / --level are given, the same for every variant.
import { argument, ort, variantArguments } from './bench-arguments.mjs';

const batch = Number(argument('--batch', '8'));
const sequence = Number(argument('--sequence', '128'));
const rounds = Number(argument('--rounds', '20'));
const warmup = Number(argument('--warmup', '3'));
const threads = argument('--threads', undefined);
const level = argument('--level', undefined);
const gapMs = Number(argument('--gap-ms', '30'));
const block = Number(argument('--block', '5'));
const pause = (milliseconds) => new Promise((resolve) => setTimeout(resolve, milliseconds));
const sessionOptions = {
  ...(threads === undefined ? {} : { intraOpNumThreads: Number(threads) }),
  ...(level === undefined ? {} : { graphOptimizationLevel: level }),
};
const variants = variantArguments();

function feeds(session) {
  const result = {};
  let seed = 1;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  for (const name of session.inputNames) {
    if (name === 'pixel_values') {
      const data = Float32Array.from({ length: batch * 3 * 32 * 32 }, () => random() * 2 - 1);
      result[name] = new ort.Tensor('float32', data, [batch, 3, 32, 32]);
      continue;
    }
    const data = new BigInt64Array(batch * sequence);
    for (let index = 0; index < data.length; index += 1) {
      if (name === 'input_ids') data[index] = BigInt(Math.floor(random() * 1000));
      else if (name === 'attention_mask') data[index] = 1n;
      else data[index] = 0n;
    }
    result[name] = new ort.Tensor('int64', data, [batch, sequence]);
  }
  return result;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

const sessions = [];
for (const variant of variants) sessions.push({ ...variant, session: await ort.InferenceSession.create(variant.file, sessionOptions), times: [] });
const input = feeds(sessions[0].session);
const outputs = [];
for (const entry of sessions) {
  const result = await entry.session.run(input);
  outputs.push(result[entry.session.outputNames[0]].data);
}
const diffs = outputs.map((data) => {
  let max = 0;
  for (let index = 0; index < data.length; index += 1) max = Math.max(max, Math.abs(data[index] - outputs[0][index]));
  return max;
});
for (let round = 0; round < warmup + rounds; round += 1) {
  for (let offset = 0; offset < sessions.length; offset += 1) {
    const entry = sessions[(round + offset) % sessions.length];
    if (gapMs > 0) await pause(gapMs);
    await entry.session.run(input);
    const blockTimes = [];
    for (let index = 0; index < block; index += 1) {
      const started = process.hrtime.bigint();
      await entry.session.run(input);
      blockTimes.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    if (round >= warmup) entry.times.push(median(blockTimes));
  }
}
const baseline = median(sessions[0].times);
const quantile = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
};
const round3 = (value) => Number(value.toFixed(3));
for (const [index, entry] of sessions.entries()) {
  const value = median(entry.times);
  // Paired ratio: this variant's time over the first variant's in the same round (the machine's
  // load drifts between rounds; a round's variants run back to back). Median and quartiles.
  const paired = entry.times.map((time, round) => time / sessions[0].times[round]);
  process.stdout.write(`${JSON.stringify({
    variant: entry.name,
    batch,
    sequence,
    rounds,
    medianMs: round3(value),
    p25Ms: round3(quantile(entry.times, 0.25)),
    p75Ms: round3(quantile(entry.times, 0.75)),
    ratioToFirst: round3(value / baseline),
    pairedRatioMedian: round3(median(paired)),
    pairedRatioP25: round3(quantile(paired, 0.25)),
    pairedRatioP75: round3(quantile(paired, 0.75)),
    maxAbsDiffToFirst: diffs[index],
  })}\n`);
}
