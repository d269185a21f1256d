import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { createHubFixtureRepo, startLoopbackHub } from '@gpux/test-helpers';
import type { LoopbackHub } from '@gpux/test-helpers';
import type { ModelSnapshot } from '@gpux/model-manager';
import { HuggingFaceManager } from './hugging-face-manager';

const workspaceRoot = path.resolve(__dirname, '..', '..', '..');
const childSource = `
import { HuggingFaceManager } from '@gpux/hf-manager';
const [hubUrl, cacheDirectory] = process.argv.slice(2);
new HuggingFaceManager({ hubUrl, cacheDirectory, environment: {}, retryBaseDelayMs: 5 })
  .pullModel('tiny/concurrent')
  .then((snapshot) => process.stdout.write(JSON.stringify(snapshot)))
  .catch((error) => { process.stderr.write(String(error)); process.exit(1); });
`;

/** Bundles the child script (our sources included) so a plain `node` process can run it. */
async function bundleChild(directory: string): Promise<string> {
  const outfile = path.join(directory, 'child.cjs');
  await build({
    stdin: { contents: childSource, resolveDir: path.join(__dirname), loader: 'ts' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile,
    tsconfig: path.join(__dirname, '..', 'tsconfig.json'),
    external: ['@huggingface/hub', 'picomatch', 'proper-lockfile'],
    logLevel: 'silent',
  });
  return outfile;
}

function runChild(script: string, hubUrl: string, cache: string): Promise<ModelSnapshot> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, hubUrl, cache], { env: { ...process.env, NODE_PATH: path.join(workspaceRoot, 'node_modules') }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(stdout) as ModelSnapshot) : reject(new Error(`child exited ${String(code)}: ${stderr}`))));
  });
}

describe('concurrent pulls of one model', () => {
  let hub: LoopbackHub;
  let temporary: string;
  const weights = randomBytes(640 * 1024);

  beforeEach(async () => {
    temporary = await mkdtemp(path.join(os.tmpdir(), 'gpux-hf-concurrent-'));
    hub = await startLoopbackHub({ repos: [createHubFixtureRepo({ id: 'tiny/concurrent', files: { 'config.json': '{}', 'model.safetensors': weights }, lfs: ['model.safetensors'] })] });
  });
  afterEach(async () => {
    await hub.close();
    await rm(temporary, { recursive: true, force: true });
  });

  it('ends with one verified copy when two in-process pulls and a child process race', async () => {
    const script = await bundleChild(temporary);
    const cache = path.join(temporary, 'cache');
    hub.addFault({ match: { file: 'model.safetensors', method: 'GET' }, fault: { kind: 'slow', chunkBytes: 64 * 1024, delayMs: 150 } });
    const manager = (): HuggingFaceManager => new HuggingFaceManager({ hubUrl: hub.url, cacheDirectory: cache, environment: {}, retryBaseDelayMs: 5 });
    const snapshots = await Promise.all([runChild(script, hub.url, cache), manager().pullModel('tiny/concurrent'), manager().pullModel('tiny/concurrent')]);

    const expected = createHash('sha256').update(weights).digest('hex');
    for (const snapshot of snapshots) {
      expect(snapshot.files.find((file) => file.path === 'model.safetensors')?.sha256).toBe(expected);
      expect(snapshot.directory).toBe(snapshots[0]?.directory);
    }
    const blobs = await readdir(path.join(cache, 'models--tiny--concurrent', 'blobs'));
    expect(blobs.sort()).toEqual([expected, createHashOfConfig()].sort());
    expect((await readFile(path.join(snapshots[0].directory, 'model.safetensors'))).equals(weights)).toBe(true);
    // The lock makes the losers re-check and find the blob: the weights were downloaded once.
    expect(hub.requests.filter((request) => request.method === 'GET' && request.pathname.endsWith('/model.safetensors'))).toHaveLength(1);
  });
});

function createHashOfConfig(): string {
  return createHash('sha1').update('blob 2\0{}').digest('hex');
}
