import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createHubFixtureRepo, findTestPython, startLoopbackHub } from '@gpux/test-helpers';
import type { LoopbackHub } from '@gpux/test-helpers';
import { HuggingFaceManager } from './hugging-face-manager';

const readBack = `
import hashlib, json, os, sys
from huggingface_hub import hf_hub_download, snapshot_download
repo, revision, mode = sys.argv[1], sys.argv[2], sys.argv[3]
local_only = mode == "offline"
directory = snapshot_download(repo, revision=revision, local_files_only=local_only)
weights = hf_hub_download(repo, "model.safetensors", revision=revision, local_files_only=local_only)
files = sorted(os.path.relpath(os.path.join(root, name), directory) for root, _, names in os.walk(directory) for name in names)
print(json.dumps({"directory": directory, "weights": hashlib.sha256(open(weights, "rb").read()).hexdigest(), "files": files}))
`;

describe('cache interoperability with Python huggingface_hub', () => {
  // test-helpers' finder: $GPUX_TEST_HF_PYTHON, else the managed pytorch environment (it has huggingface_hub).
  let python: string;
  const weights = randomBytes(300_000);
  const expectedSha = createHash('sha256').update(weights).digest('hex');
  const repo = createHubFixtureRepo({ id: 'interop/tiny', files: { 'config.json': '{"model_type":"bert"}', 'model.safetensors': weights, 'sub/notes.txt': 'notes' }, lfs: ['model.safetensors'] });
  let hub: LoopbackHub;
  let temporary: string;

  beforeAll(async () => {
    python = await findTestPython('huggingface-hub');
  });
  beforeEach(async () => {
    temporary = await mkdtemp(path.join(os.tmpdir(), 'gpux-hf-interop-'));
    hub = await startLoopbackHub({ repos: [repo], treePageSize: 2, redirectLfs: true });
  });
  afterEach(async () => {
    await hub.close();
    await rm(temporary, { recursive: true, force: true });
  });

  // Asynchronous on purpose: the loopback hub lives in this process and must keep answering.
  async function runPython(cache: string, mode: 'offline' | 'online', revision: string): Promise<{ directory: string; weights: string; files: string[] }> {
    const environment: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: temporary, HF_HOME: path.join(temporary, 'hf-home'), HF_HUB_CACHE: cache, HF_HUB_DISABLE_TELEMETRY: '1', HF_HUB_DISABLE_XET: '1' };
    if (mode === 'offline') environment.HF_HUB_OFFLINE = '1';
    else environment.HF_ENDPOINT = hub.url;
    const child = spawn(python, ['-c', readBack, repo.id, revision, mode], { env: environment, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const status = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', resolve);
    });
    if (status !== 0) throw new Error(`python failed (${String(status)}): ${stderr}`);
    return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { directory: string; weights: string; files: string[] };
  }

  it('Python loads, offline, a snapshot we downloaded (by branch and by commit)', async () => {
    const cache = path.join(temporary, 'ours');
    const snapshot = await new HuggingFaceManager({ hubUrl: hub.url, cacheDirectory: cache, environment: {} }).pullModel(repo.id);
    for (const revision of ['main', snapshot.revision]) {
      const loaded = await runPython(cache, 'offline', revision);
      expect(loaded.directory).toBe(snapshot.directory);
      expect(loaded.weights).toBe(expectedSha);
      expect(loaded.files).toEqual(['config.json', 'model.safetensors', 'sub/notes.txt']);
    }
  });

  it('we load, offline, a snapshot Python downloaded from the loopback hub', async () => {
    const cache = path.join(temporary, 'python');
    const written = await runPython(cache, 'online', 'main');
    expect(written.weights).toBe(expectedSha);
    const snapshot = await new HuggingFaceManager({ cacheDirectory: cache, environment: { HF_HUB_OFFLINE: '1' } }).pullModel(repo.id);
    expect(snapshot.directory).toBe(written.directory);
    expect(snapshot.revision).toBe(repo.refs.get('main'));
    expect(snapshot.files.map((file) => [file.path, file.size]).sort()).toEqual([['config.json', 21], ['model.safetensors', 300_000], ['sub/notes.txt', 5]]);
    expect(snapshot.files.find((file) => file.path === 'model.safetensors')?.sha256).toBe(expectedSha);
  });
});
