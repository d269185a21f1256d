import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, readlink, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createHubFixtureRepo, startLoopbackHub } from '@gpux/test-helpers';
import type { LoopbackHub } from '@gpux/test-helpers';
import { AuthenticationError, IntegrityError, ModelNotFoundError, NetworkError, RegistryError, RevisionNotFoundError } from '@gpux/model-manager';
import type { PullProgressEvent } from '@gpux/model-manager';
import { HuggingFaceManager } from './hugging-face-manager';
import type { HuggingFaceManagerOptions } from './hugging-face-manager';

const token = 'hf_loopbackSecretToken123';
const weights = randomBytes(600_000);
const config = JSON.stringify({ model_type: 'bert', architectures: ['BertForSequenceClassification'] });
const sha256 = (bytes: Buffer | string): string => createHash('sha256').update(bytes).digest('hex');

function tinyRepo(id = 'tiny/bert') {
  return createHubFixtureRepo({
    id,
    files: { 'config.json': config, 'model.safetensors': weights, 'tokenizer/vocab.txt': 'a\nb\nc\n', 'README.md': '# tiny' },
    lfs: ['model.safetensors'],
    branches: { dev: { 'config.json': '{"model_type":"gpt2"}' } },
    pipelineTag: 'text-classification',
    license: 'apache-2.0',
    libraryName: 'transformers',
    hubTags: ['safetensors'],
    downloads: 5,
  });
}

describe('HuggingFaceManager', () => {
  let hub: LoopbackHub;
  let cache: string;
  const repo = tinyRepo();
  const manager = (options: HuggingFaceManagerOptions = {}): HuggingFaceManager =>
    new HuggingFaceManager({ hubUrl: hub.url, cacheDirectory: cache, environment: {}, retryBaseDelayMs: 5, ...options });

  beforeEach(async () => {
    cache = await mkdtemp(path.join(os.tmpdir(), 'gpux-hf-'));
    hub = await startLoopbackHub({
      repos: [
        repo,
        createHubFixtureRepo({ id: 'tiny/gated', files: { 'config.json': config }, gated: 'manual', grantedTokens: [] }),
        createHubFixtureRepo({ id: 'tiny/private', files: { 'config.json': config }, private: true }),
        createHubFixtureRepo({ id: 'evil/traversal', files: { 'config.json': config, '../../escape.txt': 'pwned' } }),
        createHubFixtureRepo({ id: 'custom/code', files: { 'config.json': JSON.stringify({ model_type: 'x', auto_map: { AutoModel: 'modeling_x.XModel' } }), 'modeling_x.py': 'print(1)' } }),
      ],
      validTokens: [token],
      treePageSize: 2,
    });
  });
  afterEach(async () => {
    await hub.close();
    await rm(cache, { recursive: true, force: true });
  });

  it('pulls into the Python cache layout with refs, verified hashes and progress that adds up', async () => {
    const events: PullProgressEvent[] = [];
    const snapshot = await manager().pullModel('hf:tiny/bert', { onProgress: (event) => events.push(event) });
    const sha = repo.refs.get('main')!;
    const storage = path.join(cache, 'models--tiny--bert');
    expect(snapshot.revision).toBe(sha);
    expect(snapshot.directory).toBe(path.join(storage, 'snapshots', sha));
    expect(snapshot.files.map((file) => [file.path, file.size]).sort()).toEqual([['README.md', 6], ['config.json', config.length], ['model.safetensors', 600_000], ['tokenizer/vocab.txt', 6]]);
    expect(snapshot.files.find((file) => file.path === 'model.safetensors')?.sha256).toBe(sha256(weights));
    expect(await readFile(path.join(storage, 'refs', 'main'), 'utf8')).toBe(sha);
    expect(await readlink(path.join(snapshot.directory, 'model.safetensors'))).toBe(`../../blobs/${sha256(weights)}`);
    expect(await readlink(path.join(snapshot.directory, 'tokenizer', 'vocab.txt'))).toBe(`../../../blobs/${repo.commits.get(sha)!.files.get('tokenizer/vocab.txt')!.gitOid}`);
    expect((await readFile(path.join(snapshot.directory, 'model.safetensors'))).equals(weights)).toBe(true);
    expect((await readdir(path.join(storage, 'blobs'))).some((name) => name.endsWith('.incomplete'))).toBe(false);

    expect(events[0]).toEqual({ type: 'resolve', id: 'tiny/bert', revision: sha });
    const lastPerFile = new Map<string, number>();
    for (const event of events) if (event.type === 'bytes-progress') lastPerFile.set(event.path, event.transferredBytes);
    expect(lastPerFile.get('model.safetensors')).toBe(600_000);
    const progress = events.filter((event) => event.type === 'bytes-progress');
    const last = progress.at(-1);
    expect(last?.type === 'bytes-progress' && [last.overallTransferredBytes, last.overallTotalBytes]).toEqual([600_000 + config.length + 12, 600_000 + config.length + 12]);

    const again: PullProgressEvent[] = [];
    await manager().pullModel('tiny/bert', { onProgress: (event) => again.push(event) });
    expect(again.filter((event) => event.type === 'file-end').every((event) => event.type === 'file-end' && event.cached)).toBe(true);
  });

  it('filters with include/exclude globs and resolves other branches', async () => {
    const snapshot = await manager().pullModel('tiny/bert', { include: ['*.json', 'tokenizer/'], exclude: ['README.md'] });
    expect(snapshot.files.map((file) => file.path).sort()).toEqual(['config.json', 'tokenizer/vocab.txt']);
    const dev = await manager().pullModel('tiny/bert@dev');
    expect(dev.revision).toBe(repo.refs.get('dev'));
    expect(await readFile(path.join(cache, 'models--tiny--bert', 'refs', 'dev'), 'utf8')).toBe(repo.refs.get('dev'));
  });

  it('retries a 500 and resumes a dropped download with a Range request', async () => {
    hub.addFault({ match: { pathname: '/api/models/tiny/bert/revision/main' }, fault: { kind: 'status', status: 500 }, times: 1 });
    hub.addFault({ match: { file: 'model.safetensors', method: 'GET' }, fault: { kind: 'drop', afterBytes: 250_000 }, times: 1 });
    const events: PullProgressEvent[] = [];
    const snapshot = await manager().pullModel('tiny/bert', { onProgress: (event) => events.push(event) });
    expect(events.filter((event) => event.type === 'retry')).toHaveLength(2);
    const weightRequests = hub.requests.filter((request) => request.pathname.endsWith('/model.safetensors'));
    expect(weightRequests.map((request) => request.range)).toEqual([undefined, 'bytes=250000-']);
    expect(weightRequests[1]?.status).toBe(206);
    expect(snapshot.files.find((file) => file.path === 'model.safetensors')?.sha256).toBe(sha256(weights));
  });

  it('maps 401, 403, 404 and gated repos to typed errors that never contain the token', async () => {
    const failures = await Promise.all([
      manager().pullModel('tiny/private').catch((error: unknown) => error),
      manager({ accessToken: token }).pullModel('tiny/gated').catch((error: unknown) => error),
      manager().pullModel('tiny/gated').catch((error: unknown) => error),
      manager({ accessToken: 'hf_wrongToken' }).pullModel('tiny/bert').catch((error: unknown) => error),
      manager({ accessToken: token }).pullModel('tiny/nothing').catch((error: unknown) => error),
      manager().pullModel('tiny/bert@nope').catch((error: unknown) => error),
    ]);
    expect(ModelNotFoundError.isInstance(failures[0])).toBe(true);
    expect((failures[0] as Error).message).toContain('HF_TOKEN');
    expect(AuthenticationError.isInstance(failures[1])).toBe(true);
    expect((failures[1] as RegistryError).details.status).toBe(403);
    expect((failures[1] as Error).message).toMatch(/Accept the terms on the model page \(http:\/\/127\.0\.0\.1:\d+\/tiny\/gated\).*HF_TOKEN.*accessToken/);
    expect(AuthenticationError.isInstance(failures[2])).toBe(true);
    expect((failures[2] as RegistryError).details.status).toBe(401);
    expect(AuthenticationError.isInstance(failures[3])).toBe(true);
    expect(ModelNotFoundError.isInstance(failures[4])).toBe(true);
    expect(RevisionNotFoundError.isInstance(failures[5])).toBe(true);
    for (const failure of failures) {
      const error = failure as RegistryError;
      expect(`${error.message} ${JSON.stringify(error.details)} ${String(error.cause)}`).not.toContain('SecretToken');
    }
    expect(hub.requests.some((request) => request.authorization === `Bearer ${token}`)).toBe(true);
  });

  it('fails a slow download on the idle timeout and cancels on abort, leaving no complete blob', async () => {
    hub.addFault({ match: { file: 'model.safetensors', method: 'GET' }, fault: { kind: 'slow', chunkBytes: 1000, delayMs: 400 } });
    const timedOut = await manager({ timeoutMs: 150, maxRetries: 1 }).pullModel('tiny/bert', { include: ['model.safetensors'] }).catch((error: unknown) => error);
    expect(NetworkError.isInstance(timedOut)).toBe(true);
    expect((timedOut as NetworkError).retryable).toBe(true);
    expect((timedOut as Error).message).toContain('no data for 150 ms');

    const controller = new AbortController();
    const pulling = manager({ timeoutMs: 10_000 }).pullModel('tiny/bert', {
      include: ['model.safetensors'],
      signal: controller.signal,
      onProgress: (event) => {
        if (event.type === 'bytes-progress' && event.transferredBytes > 0) controller.abort();
      },
    });
    setTimeout(() => controller.abort(), 1500);
    const cancelled = await pulling.catch((error: unknown) => error);
    expect(RegistryError.isInstance(cancelled) && cancelled.code).toBe('CANCELLED');
    expect(existsSync(path.join(cache, 'models--tiny--bert', 'blobs', sha256(weights)))).toBe(false);
    expect(existsSync(path.join(cache, 'models--tiny--bert', 'snapshots', repo.refs.get('main')!, 'model.safetensors'))).toBe(false);
  });

  it.each([
    ['wrong bytes', { kind: 'replace-body' as const, body: Buffer.alloc(600_000, 1) }],
    ['a short body', { kind: 'replace-body' as const, body: weights.subarray(0, 1000) }],
    ['a wrong Content-Length', { kind: 'content-length' as const, contentLength: 599_000 }],
  ])('raises IntegrityError for %s and caches nothing', async (_name, fault) => {
    hub.addFault({ match: { file: 'model.safetensors', method: 'GET' }, fault });
    const failure = await manager({ maxRetries: 0 }).pullModel('tiny/bert', { include: ['model.safetensors'] }).catch((error: unknown) => error);
    expect(IntegrityError.isInstance(failure)).toBe(true);
    const blobs = await readdir(path.join(cache, 'models--tiny--bert', 'blobs')).catch(() => []);
    expect(blobs).toEqual([]);
  });

  it('refuses traversal file names and custom code unless trusted', async () => {
    const unsafe = await manager().pullModel('evil/traversal').catch((error: unknown) => error);
    expect(RegistryError.isInstance(unsafe) && unsafe.code).toBe('UNSAFE_PATH');
    expect(existsSync(path.join(cache, 'escape.txt'))).toBe(false);
    expect(existsSync(path.join(cache, 'models--evil--traversal', 'escape.txt'))).toBe(false);

    const custom = await manager().pullModel('custom/code').catch((error: unknown) => error);
    expect(RegistryError.isInstance(custom) && custom.code).toBe('TRUST_REMOTE_CODE_REQUIRED');
    expect((custom as Error).message).toContain('trustRemoteCode: true');
    expect((custom as Error).message).toContain('--trust-remote-code');
    const trusted = await manager({ trustRemoteCode: true }).pullModel('custom/code');
    expect(trusted.files.map((file) => file.path).sort()).toEqual(['config.json', 'modeling_x.py']);
  });

  it('serves offline from the cache and names what is missing', async () => {
    await manager().pullModel('tiny/bert', { include: ['config.json', 'model.safetensors'] });
    const requestsBefore = hub.requests.length;
    const offline = manager({ offline: true });
    const snapshot = await offline.pullModel('tiny/bert', { include: ['*.json', '*.safetensors'] });
    expect(snapshot.revision).toBe(repo.refs.get('main'));
    expect(snapshot.files.find((file) => file.path === 'model.safetensors')?.sha256).toBe(sha256(weights));
    expect(hub.requests.length).toBe(requestsBefore);

    const incomplete = await offline.pullModel('tiny/bert').catch((error: unknown) => error);
    expect(RegistryError.isInstance(incomplete) && incomplete.code).toBe('OFFLINE_CACHE_MISS');
    expect((incomplete as Error).message).toContain('README.md, tokenizer/vocab.txt');
    const noRevision = await new HuggingFaceManager({ cacheDirectory: cache, environment: { HF_HUB_OFFLINE: '1' } }).pullModel('tiny/bert@dev').catch((error: unknown) => error);
    expect(RegistryError.isInstance(noRevision) && noRevision.code).toBe('OFFLINE_CACHE_MISS');
    expect((noRevision as Error).message).toContain('revision "dev" of tiny/bert is not in the cache');
  });

  it('reports metadata, files and search results', async () => {
    const info = await manager().getModelInfo('tiny/bert');
    expect(info).toMatchObject({ id: 'tiny/bert', revision: repo.refs.get('main'), modelType: 'bert', architectures: ['BertForSequenceClassification'], task: 'text-classification', taskSource: 'pipeline-tag', weightFormats: ['safetensors'], license: 'apache-2.0', gated: false, private: false, requiresRemoteCode: false, libraryName: 'transformers' });
    expect(info.totalSize).toBe(600_000 + config.length + 12);
    expect((await manager().getModelInfo('custom/code')).requiresRemoteCode).toBe(true);
    expect((await manager().getModelInfo('tiny/gated')).gated).toBe(true);

    const files = await manager().listModelFiles('tiny/bert');
    const weightsEntry = files.find((file) => file.path === 'model.safetensors');
    expect([weightsEntry?.size, weightsEntry?.sha256, weightsEntry?.blobId]).toEqual([600_000, sha256(weights), repo.commits.get(repo.refs.get('main')!)!.files.get('model.safetensors')!.gitOid]);
    const hits = await manager().searchModels('tiny', { limit: 10 });
    expect(hits.map((hit) => hit.id).sort()).toEqual(['tiny/bert', 'tiny/gated']);
    expect(hits.find((hit) => hit.id === 'tiny/bert')?.downloads).toBe(5);
  });
});
