// Benchmark: converting many small PyTorch models, cold one-shot `convert` calls against `batch` on
// warm Python workers (concurrency 1 and 2), and the embedded queue against 2 `worker` processes on
// Redis. Not a test. Needs the build (`npm run build`), the managed PyTorch environment
// (`gpux-convert setup pytorch`) and redis-server on PATH (for the Redis rows).
//
//   node tools/bench/batch/bench.mjs [--models 12] [--skip-cold] [--skip-redis]
//
// Every mode starts from an empty conversion cache. Wall time is the whole command's; peak RSS is
// the largest sum of resident memory over the process tree (the CLI, its Python workers, and for
// Redis the two workers and the follower), sampled every 200 ms from /proc.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const cli = path.join(root, 'packages', 'cli', 'dist', 'bin.cjs');
const argv = process.argv.slice(2);
const option = (name, fallback) => {
  const index = argv.indexOf(`--${name}`);
  return index === -1 ? fallback : argv[index + 1];
};
const modelCount = Number(option('models', '12'));
const skipCold = argv.includes('--skip-cold');
const skipRedis = argv.includes('--skip-redis');

const { ensurePythonEnvironment } = await import(path.join(root, 'packages', 'converter-core', 'dist', 'index.js'));
const { pytorchRequirements } = await import(path.join(root, 'packages', 'pytorch-adapter', 'dist', 'index.js'));

/** Sum of VmRSS (bytes) of `pid` and all its descendants. */
function treeRss(pid) {
  const children = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(name)]);
    } catch {
      // gone meanwhile
    }
  }
  let total = 0;
  const pending = [pid];
  while (pending.length > 0) {
    const current = pending.pop();
    try {
      const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${current}/status`, 'utf8'));
      if (match) total += Number(match[1]) * 1024;
    } catch {
      continue;
    }
    pending.push(...(children.get(current) ?? []));
  }
  return total;
}

/** Samples the summed tree RSS of a set of root pids until stopped; returns the peak. */
function startSampler(pids) {
  let peak = 0;
  const timer = setInterval(() => {
    const sum = [...pids].reduce((total, pid) => total + treeRss(pid), 0);
    peak = Math.max(peak, sum);
  }, 200);
  return { add: (pid) => pids.add(pid), stop: () => (clearInterval(timer), peak) };
}

function run(args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
    options.onSpawn?.(child.pid);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      options.onStdout?.(String(chunk));
    });
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function measure(label, body) {
  const pids = new Set();
  const sampler = startSampler(pids);
  const startedAt = performance.now();
  const detail = await body((pid) => sampler.add(pid));
  const seconds = (performance.now() - startedAt) / 1000;
  const peak = sampler.stop();
  console.log(`${label}: ${seconds.toFixed(1)} s, peak RSS ${(peak / 1024 ** 2).toFixed(0)} MiB${detail ? ` (${detail})` : ''}`);
  return { label, seconds, peakMiB: peak / 1024 ** 2, detail };
}

function freePort() {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const scratch = mkdtempSync(path.join(os.tmpdir(), 'gpux-bench-batch-'));
const results = [];
try {
  const { pythonExecutable } = await ensurePythonEnvironment(pytorchRequirements);
  const template = path.join(scratch, 'template');
  execFileSync(pythonExecutable, [path.join(root, 'packages', 'cli', 'src', 'test-fixtures', 'make_tiny_bert.py'), template], { stdio: 'ignore' });
  const models = [];
  for (let index = 1; index <= modelCount; index += 1) {
    const directory = path.join(scratch, 'models', `bert-${String(index).padStart(2, '0')}`);
    cpSync(template, directory, { recursive: true });
    models.push(directory);
  }
  const list = path.join(scratch, 'models.txt');
  writeFileSync(list, models.join('\n') + '\n');
  console.log(`${modelCount} tiny random-weight BERT classifiers (packages/cli/src/test-fixtures/make_tiny_bert.py), each its own folder; ${os.cpus().length} cores`);

  const failures = (text) => {
    const report = JSON.parse(readFileSync(text, 'utf8'));
    return `${report.counts.converted} converted, ${report.counts.failed} failed`;
  };

  if (!skipCold) {
    results.push(
      await measure(`cold: ${modelCount} sequential \`convert\` calls`, async (track) => {
        const cache = path.join(scratch, 'cache-cold');
        let failed = 0;
        for (const model of models) {
          const outcome = await run(['convert', model, '-o', path.join(scratch, 'out-cold', path.basename(model)), '--no-latency', '--cache-dir', cache], { onSpawn: track });
          if (outcome.code !== 0) failed += 1;
        }
        return `${modelCount - failed} converted, ${failed} failed`;
      }),
    );
  }
  for (const concurrency of [1, 2]) {
    results.push(
      await measure(`warm: \`batch --concurrency ${concurrency}\``, async (track) => {
        const output = path.join(scratch, `out-batch-${concurrency}`);
        const outcome = await run(['batch', list, '-o', output, '--concurrency', String(concurrency), '--cache-dir', path.join(scratch, `cache-batch-${concurrency}`)], { onSpawn: track });
        if (outcome.code !== 0 && outcome.code !== 13) throw new Error(`batch exited with ${outcome.code}: ${outcome.stderr.slice(-2000)}`);
        return failures(path.join(output, 'batch-report.json'));
      }),
    );
  }
  if (!skipRedis) {
    const port = await freePort();
    const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const url = `redis://127.0.0.1:${port}`;
    const workers = [];
    const workerPids = [];
    try {
      // The workers are long-lived: started (and idle) before the clock starts, as on a real fleet.
      for (const name of ['a', 'b']) {
        await new Promise((resolve) => {
          workers.push(
            run(['worker', '--queue', url, '--json', '--cache-dir', path.join(scratch, `cache-worker-${name}`)], {
              onSpawn: (pid) => workerPids.push(pid),
              onStdout: (chunk) => chunk.includes('worker-ready') && resolve(),
            }),
          );
        });
      }
      results.push(
        await measure('Redis: 2 `worker` processes + `batch --queue --follow`', async (track) => {
          for (const pid of workerPids) track(pid);
          const output = path.join(scratch, 'out-redis');
          const outcome = await run(['batch', list, '--queue', url, '-o', output, '--follow'], { onSpawn: track });
          if (outcome.code !== 0 && outcome.code !== 13) throw new Error(`batch --queue exited with ${outcome.code}: ${outcome.stderr.slice(-2000)}`);
          return failures(path.join(output, 'batch-report.json'));
        }),
      );
    } finally {
      for (const pid of workerPids) process.kill(pid, 'SIGINT');
      await Promise.all(workers);
      redis.kill('SIGTERM');
    }
  }

  const cold = results.find((result) => result.label.startsWith('cold'));
  const embedded2 = results.find((result) => result.label.includes('--concurrency 2'));
  const lines = ['| mode | wall time (s) | vs cold sequential | peak RSS, all processes (MiB) | result |', '|---|---|---|---|---|'];
  for (const result of results) {
    const ratio = cold === undefined ? '-' : `${(result.seconds / cold.seconds).toFixed(2)}x`;
    lines.push(`| ${result.label} | ${result.seconds.toFixed(1)} | ${ratio} | ${result.peakMiB.toFixed(0)} | ${result.detail} |`);
  }
  const redisResult = results.find((result) => result.label.startsWith('Redis'));
  if (redisResult && embedded2) lines.push('', `Redis queue overhead vs the embedded queue at the same concurrency (2): ${(((redisResult.seconds / embedded2.seconds) - 1) * 100).toFixed(1)}%`);
  const table = lines.join('\n');
  console.log('\n' + table);
  const resultsDirectory = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');
  mkdirSync(resultsDirectory, { recursive: true });
  writeFileSync(path.join(resultsDirectory, 'latest.md'), `${new Date().toISOString()}, ${os.cpus().length} cores, load average ${os.loadavg().map((value) => value.toFixed(1)).join(' ')}\n\n${table}\n`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
