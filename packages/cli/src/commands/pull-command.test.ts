import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createHubFixtureRepo, startLoopbackHub, type LoopbackHub } from '@gpux/test-helpers';
import { runBuiltCli } from '../test-support/run-built-cli';

describe('gpux-convert pull (loopback hub)', () => {
  const weights = Buffer.alloc(300_000, 7);
  const config = JSON.stringify({ model_type: 'bert', architectures: ['BertModel'] });
  let hub: LoopbackHub;
  let hubCache: string;

  beforeAll(async () => {
    hub = await startLoopbackHub({
      repos: [createHubFixtureRepo({ id: 'org/tiny', files: { 'config.json': config, 'model.safetensors': weights, 'README.md': '# tiny' }, lfs: ['model.safetensors'] })],
      validTokens: ['hf_cliTestToken'],
    });
    hubCache = await mkdtemp(path.join(os.tmpdir(), 'gpux-cli-pull-'));
  });

  afterAll(async () => {
    await hub.close();
    await rm(hubCache, { recursive: true, force: true });
  });

  it('downloads a snapshot into the hub cache and prints the result as JSON', async () => {
    const run = await runBuiltCli(['pull', 'org/tiny', '--hub-url', hub.url, '--exclude', 'README.md', '--json'], { env: { HF_HUB_CACHE: hubCache, HF_TOKEN: '' } });
    expect(run.exitCode).toBe(0);
    const lines = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as { type: string; event?: { type: string; phase: string }; revision?: string; directory?: string; files?: Array<{ path: string; size: number }>; totalBytes?: number });
    const result = lines.at(-1);
    expect(result?.type).toBe('result');
    expect(result?.revision).toMatch(/^[0-9a-f]{40}$/);
    expect(result?.directory).toBe(path.join(hubCache, 'models--org--tiny', 'snapshots', result?.revision ?? ''));
    expect(result?.files?.map((file) => file.path).sort()).toEqual(['config.json', 'model.safetensors']);
    expect(result?.totalBytes).toBe(weights.length + Buffer.byteLength(config));
    expect(await readFile(path.join(result?.directory ?? '', 'model.safetensors'))).toEqual(weights);
    expect(lines.some((line) => line.event?.type === 'bytes-progress' && line.event.phase === 'download')).toBe(true);
  });

  it('exits with the registry code for an unknown model', async () => {
    const run = await runBuiltCli(['pull', 'org/missing', '--hub-url', hub.url], { env: { HF_HUB_CACHE: hubCache, HF_TOKEN: '' } });
    expect(run.exitCode).toBe(8);
    expect(run.stderr).toMatch(/^error \[MODEL_NOT_FOUND\]: /m);
  });

  it('exits 9 when the hub refuses the token', async () => {
    const run = await runBuiltCli(['pull', 'org/tiny', '--hub-url', hub.url, '--token', 'hf_wrongToken'], { env: { HF_HUB_CACHE: hubCache } });
    expect(run.exitCode).toBe(9);
    expect(run.stderr).not.toContain('hf_wrongToken');
  });
});
