import { createHash } from 'node:crypto';
import { listFiles, modelInfo, pathsInfo } from '@huggingface/hub';
import { createHubFixtureRepo, gitBlobId } from './hub-fixture-repo';
import { startLoopbackHub } from './loopback-hub';
import type { LoopbackHub } from './loopback-hub';

const weights = Buffer.alloc(3000, 7);
const repo = createHubFixtureRepo({
  id: 'fixture/tiny',
  files: { 'config.json': '{"model_type":"bert","architectures":["BertModel"]}', 'model.safetensors': weights, 'sub/a.txt': 'a', 'sub/b.txt': 'bb' },
  lfs: ['model.safetensors'],
  branches: { dev: { 'config.json': '{}' } },
  pipelineTag: 'feature-extraction',
  license: 'mit',
});

describe('startLoopbackHub', () => {
  let hub: LoopbackHub;
  beforeEach(async () => {
    hub = await startLoopbackHub({ repos: [repo], treePageSize: 2 });
  });
  afterEach(async () => {
    await hub.close();
  });

  it('answers model info by revision as @huggingface/hub reads it', async () => {
    const info = await modelInfo({ name: 'fixture/tiny', hubUrl: hub.url, additionalFields: ['sha', 'cardData'], revision: 'dev' });
    expect(info.sha).toBe(repo.refs.get('dev'));
    expect(info.task).toBe('feature-extraction');
    expect(info.cardData?.license).toBe('mit');
    expect(hub.requests[0]?.pathname).toBe('/api/models/fixture/tiny/revision/dev');
  });

  it('pages the tree with Link headers and reports LFS metadata', async () => {
    const entries = [];
    for await (const entry of listFiles({ repo: 'fixture/tiny', recursive: true, hubUrl: hub.url })) entries.push(entry);
    expect(entries.map((entry) => entry.path)).toEqual(['config.json', 'model.safetensors', 'sub', 'sub/a.txt', 'sub/b.txt']);
    expect(hub.requests.filter((request) => request.pathname.includes('/tree/'))).toHaveLength(3);
    const lfsEntry = entries.find((entry) => entry.path === 'model.safetensors');
    expect(lfsEntry?.lfs?.oid).toBe(createHash('sha256').update(weights).digest('hex'));
    expect(lfsEntry?.size).toBe(3000);
    expect(entries.find((entry) => entry.path === 'sub/a.txt')?.oid).toBe(gitBlobId(Buffer.from('a')));
  });

  it('answers paths-info for existing paths only', async () => {
    const infos = await pathsInfo({ repo: 'fixture/tiny', paths: ['sub/b.txt', 'missing.txt'], hubUrl: hub.url });
    expect(infos.map((info) => [info.path, info.size])).toEqual([['sub/b.txt', 2]]);
  });

  it('serves ranges with ETag, X-Repo-Commit and X-Linked headers', async () => {
    const response = await fetch(`${hub.url}/fixture/tiny/resolve/main/model.safetensors`, { headers: { Range: 'bytes=1000-' } });
    expect(response.status).toBe(206);
    expect(response.headers.get('content-range')).toBe('bytes 1000-2999/3000');
    expect(response.headers.get('x-linked-size')).toBe('3000');
    expect(response.headers.get('etag')).toBe(`"${createHash('sha256').update(weights).digest('hex')}"`);
    expect(response.headers.get('x-repo-commit')).toBe(repo.refs.get('main'));
    expect((await response.arrayBuffer()).byteLength).toBe(2000);
  });

  it('answers errors with X-Error-Code', async () => {
    const missingRepo = await fetch(`${hub.url}/api/models/nobody/nothing`);
    expect([missingRepo.status, missingRepo.headers.get('x-error-code')]).toEqual([401, 'RepoNotFound']);
    const missingRevision = await fetch(`${hub.url}/api/models/fixture/tiny/revision/nope`);
    expect([missingRevision.status, missingRevision.headers.get('x-error-code')]).toEqual([404, 'RevisionNotFound']);
    const missingEntry = await fetch(`${hub.url}/fixture/tiny/resolve/main/nope.bin`);
    expect([missingEntry.status, missingEntry.headers.get('x-error-code')]).toEqual([404, 'EntryNotFound']);
  });

  it('injects a status sequence and a dropped connection', async () => {
    hub.addFault({ match: { file: 'config.json' }, fault: { kind: 'status', status: 503 }, times: 1 });
    hub.addFault({ match: { file: 'model.safetensors' }, fault: { kind: 'drop', afterBytes: 100 }, times: 1 });
    expect((await fetch(`${hub.url}/fixture/tiny/resolve/main/config.json`)).status).toBe(503);
    expect((await fetch(`${hub.url}/fixture/tiny/resolve/main/config.json`)).status).toBe(200);
    const dropped = await fetch(`${hub.url}/fixture/tiny/resolve/main/model.safetensors`);
    await expect(dropped.arrayBuffer()).rejects.toThrow();
    expect(hub.requests.at(-1)?.bytesSent).toBe(100);
  });
});
