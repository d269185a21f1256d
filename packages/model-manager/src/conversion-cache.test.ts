import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConversionCache, RegistryError } from './index';
import type { ConversionKey } from './index';
import { toCachePathSegment } from './to-cache-path-segment';

const sha256Of = (bytes: Buffer | string): string => createHash('sha256').update(bytes).digest('hex');

describe('ConversionCache', () => {
  let root: string;
  let cache: ConversionCache;
  const key: ConversionKey = { sourceId: 'org/tiny-bert', revision: 'a'.repeat(40), options: { opset: 17, dynamicAxes: true, token: 'hf_secret' } };

  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'gpux-cache-'));
    cache = new ConversionCache({ directory: root });
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function convert(conversionKey: ConversionKey, model: Buffer): Promise<Awaited<ReturnType<ConversionStagingCommit>>> {
    const staging = await cache.beginConversion(conversionKey);
    await writeFile(path.join(staging.directory, 'model.onnx'), model);
    await mkdir(path.join(staging.directory, 'data'));
    await writeFile(path.join(staging.directory, 'data', 'weights.bin'), model.subarray(0, 10));
    return staging.commit({ toolVersions: { torch: '2.15.0', '@gpux/converter-core': '0.1.0' } });
  }
  type ConversionStagingCommit = () => ReturnType<Awaited<ReturnType<ConversionCache['beginConversion']>>['commit']>;

  it('finds a committed conversion with a manifest of sizes and sha256, and no secrets', async () => {
    expect(await cache.findConversion(key)).toBeUndefined();
    const model = randomBytes(4096);
    const committed = await convert(key, model);
    const optionsHash = ConversionCache.hashOptions(key.options);
    expect(committed.directory).toBe(path.join(root, 'org--tiny-bert', 'a'.repeat(40), optionsHash));
    expect(committed.manifest.files).toEqual([
      { path: 'data/weights.bin', size: 10, sha256: sha256Of(model.subarray(0, 10)) },
      { path: 'model.onnx', size: 4096, sha256: sha256Of(model) },
    ]);
    expect(committed.manifest.options).toEqual({ dynamicAxes: true, opset: 17 });
    expect(committed.manifest.toolVersions).toEqual({ torch: '2.15.0', '@gpux/converter-core': '0.1.0' });
    const manifestText = await readFile(path.join(committed.directory, 'manifest.json'), 'utf8');
    expect(manifestText).not.toContain('hf_secret');
    expect(JSON.parse(manifestText)).toEqual(committed.manifest);

    const found = await cache.findConversion({ ...key, options: { dynamicAxes: true, opset: 17, token: 'another' } }, { verify: true });
    expect(found).toEqual(committed);
    expect(await cache.findConversion({ ...key, options: { opset: 18, dynamicAxes: true } })).toBeUndefined();
    expect(await cache.findConversion({ ...key, revision: 'b'.repeat(40) })).toBeUndefined();
    expect(await readdir(path.join(root, '.staging'))).toEqual([]);
  });

  it('hashes options canonically: key order, undefined and secrets do not matter', () => {
    const base = ConversionCache.hashOptions({ opset: 17, nested: { b: 1, a: [1, { y: 2, x: 1 }] } });
    expect(base).toMatch(/^[0-9a-f]{16}$/);
    expect(ConversionCache.hashOptions({ nested: { a: [1, { x: 1, y: 2 }], b: 1 }, opset: 17, skip: undefined, Authorization: 'Bearer x' })).toBe(base);
    expect(ConversionCache.hashOptions({ opset: 17, nested: { b: 1, a: [{ y: 2, x: 1 }, 1] } })).not.toBe(base);
    expect(ConversionCache.hashOptions({ opset: 18, nested: { b: 1, a: [1, { y: 2, x: 1 }] } })).not.toBe(base);
    expect(ConversionCache.hashOptions({})).toBe(sha256Of('{}').slice(0, 16));
    expect(() => ConversionCache.hashOptions({ size: 1n })).toThrow(TypeError);
  });

  it('never returns an incomplete entry and cleans it on the next list', async () => {
    // A crashed process: a staging directory without a lock, and an entry directory without a manifest.
    const crashedStaging = path.join(root, '.staging', 'crashed-123');
    await mkdir(crashedStaging, { recursive: true });
    await writeFile(path.join(crashedStaging, 'model.onnx'), 'half written');
    const entry = cache.entryDirectory(key);
    await mkdir(entry, { recursive: true });
    await writeFile(path.join(entry, 'model.onnx'), 'no manifest');
    expect(await cache.findConversion(key)).toBeUndefined();

    // A staging directory whose owner died long ago (stale lock).
    const staleStaging = path.join(root, '.staging', 'stale-456');
    await mkdir(staleStaging);
    await mkdir(`${staleStaging}.lock`);
    const longAgo = new Date(Date.now() - 10 * 60_000);
    await utimes(`${staleStaging}.lock`, longAgo, longAgo);

    // A live staging directory of another conversion is left alone.
    const live = await cache.beginConversion({ ...key, revision: 'live' });
    await writeFile(path.join(live.directory, 'model.onnx'), 'in progress');

    expect(await cache.listConversions()).toEqual([]);
    await expect(stat(entry)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(stat(crashedStaging)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(stat(staleStaging)).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await stat(path.join(live.directory, 'model.onnx'))).size).toBe(11);

    const committed = await live.commit({ toolVersions: {} });
    expect((await cache.listConversions()).map((conversion) => conversion.manifest.revision)).toEqual(['live']);
    expect(committed.manifest.files.map((file) => file.path)).toEqual(['model.onnx']);
  });

  it('treats an entry whose file was truncated as incomplete, and verify removes a corrupted one', async () => {
    const committed = await convert(key, randomBytes(2048));
    await writeFile(path.join(committed.directory, 'model.onnx'), randomBytes(2048));
    expect(await cache.findConversion(key)).toBeDefined();
    expect(await cache.findConversion(key, { verify: true })).toBeUndefined();
    await expect(stat(committed.directory)).rejects.toMatchObject({ code: 'ENOENT' });

    const again = await convert(key, randomBytes(100));
    await writeFile(path.join(again.directory, 'model.onnx'), 'short');
    expect(await cache.findConversion(key)).toBeUndefined();
  });

  it('replaces an incomplete entry that appeared while converting', async () => {
    const staging = await cache.beginConversion(key);
    await writeFile(path.join(staging.directory, 'model.onnx'), 'fresh');
    const entry = cache.entryDirectory(key);
    await mkdir(entry, { recursive: true });
    await writeFile(path.join(entry, 'leftover.onnx'), 'from a crash');
    const committed = await staging.commit({ toolVersions: {} });
    expect(committed.directory).toBe(entry);
    expect((await readdir(entry)).sort()).toEqual(['manifest.json', 'model.onnx']);
    expect(await cache.findConversion(key)).toEqual(committed);
  });

  it('abort leaves nothing behind', async () => {
    const staging = await cache.beginConversion(key);
    await writeFile(path.join(staging.directory, 'model.onnx'), 'partial');
    await staging.abort();
    await staging.abort();
    expect(await readdir(path.join(root, '.staging'))).toEqual([]);
    expect(await cache.findConversion(key)).toBeUndefined();
    await expect(staging.commit({ toolVersions: {} })).rejects.toMatchObject({ code: 'REGISTRY_ERROR' });
  });

  it('refuses symlinks, a reserved manifest name and an empty staging, leaving nothing', async () => {
    const withLink = await cache.beginConversion(key);
    await symlink('/etc/hostname', path.join(withLink.directory, 'model.onnx'));
    const linkError: unknown = await withLink.commit({ toolVersions: {} }).catch((caught: unknown) => caught);
    expect(RegistryError.isInstance(linkError) && linkError.code).toBe('UNSAFE_PATH');

    const withManifest = await cache.beginConversion(key);
    await writeFile(path.join(withManifest.directory, 'manifest.json'), '{}');
    await expect(withManifest.commit({ toolVersions: {} })).rejects.toMatchObject({ code: 'REGISTRY_ERROR' });

    const empty = await cache.beginConversion(key);
    await expect(empty.commit({ toolVersions: {} })).rejects.toMatchObject({ code: 'REGISTRY_ERROR' });

    expect(await readdir(path.join(root, '.staging'))).toEqual([]);
    expect(await cache.listConversions()).toEqual([]);
  });

  it('ends concurrent commits of one key with one good entry', async () => {
    const contents = [randomBytes(5000), randomBytes(5000), randomBytes(5000), randomBytes(5000)];
    const stagings = await Promise.all(contents.map(() => cache.beginConversion(key)));
    await Promise.all(stagings.map((staging, index) => writeFile(path.join(staging.directory, 'model.onnx'), contents[index]!)));
    const results = await Promise.all(stagings.map((staging) => staging.commit({ toolVersions: { torch: '2.15.0' } })));

    const listed = await cache.listConversions();
    expect(listed).toHaveLength(1);
    const winner = listed[0]!;
    for (const result of results) expect(result).toEqual(winner);
    const bytes = await readFile(path.join(winner.directory, 'model.onnx'));
    expect(sha256Of(bytes)).toBe(winner.manifest.files[0]!.sha256);
    expect(contents.some((content) => content.equals(bytes))).toBe(true);
    expect(await readdir(path.join(root, '.staging'))).toEqual([]);
  });

  it('lists and removes conversions by key, by directory and by "<id>@<revision>#<hash>"', async () => {
    const first = await convert(key, randomBytes(64));
    const second = await convert({ ...key, options: { opset: 18 } }, randomBytes(64));
    const third = await convert({ sourceId: '/home/user/models/my model', revision: '0123456789abcdef', options: {} }, randomBytes(64));
    const listed = await cache.listConversions();
    expect(listed.map((conversion) => conversion.directory).sort()).toEqual([first.directory, second.directory, third.directory].sort());

    expect(await cache.removeConversion(key)).toBe(true);
    expect(await cache.removeConversion(key)).toBe(false);
    expect(await cache.removeConversion(second.directory)).toBe(true);
    expect(await cache.removeConversion(`/home/user/models/my model@0123456789abcdef#${third.manifest.optionsHash}`)).toBe(true);
    expect(await cache.listConversions()).toEqual([]);
    expect((await readdir(root)).filter((name) => !name.startsWith('.'))).toEqual([]);
    await expect(cache.removeConversion(path.join(root, '..'))).rejects.toThrow(TypeError);
    await expect(cache.removeConversion('/etc')).rejects.toThrow(TypeError);
    await expect(cache.removeConversion('org/name@rev#nothex')).rejects.toThrow(TypeError);
  });

  it('keeps every source id and revision inside the cache, with distinct directories', async () => {
    const hostile = ['..', '../../etc', '/etc/passwd', 'C:\\Windows\\System32', 'a\\..\\..\\b', '.', '', 'org/../../x', 'a/b/c', 'con', 'name.', 'x\u0000y'];
    const segments = new Set<string>();
    for (const value of hostile.filter((item) => item !== '' && !item.includes('\0'))) {
      const segment = toCachePathSegment(value);
      expect(segment).toMatch(/^[A-Za-z0-9_][A-Za-z0-9._-]*$/);
      expect(segment).not.toBe('..');
      expect(segment.includes('/') || segment.includes('\\')).toBe(false);
      segments.add(segment);
    }
    expect(segments.size).toBe(hostile.length - 2);
    expect(toCachePathSegment('org/name')).toBe('org--name');
    expect(toCachePathSegment('gpt2')).toBe('gpt2');
    expect(toCachePathSegment('org--name')).not.toBe(toCachePathSegment('org/name'));

    const escaped = await convert({ sourceId: '../../outside', revision: '../../rev', options: {} }, randomBytes(32));
    expect(path.relative(root, escaped.directory).split(path.sep)).toHaveLength(3);
    expect(escaped.directory.startsWith(`${root}${path.sep}`)).toBe(true);
    expect((await readdir(path.dirname(root))).includes('outside')).toBe(false);
    expect(await cache.findConversion({ sourceId: '../../outside', revision: '../../rev', options: {} })).toEqual(escaped);
    expect(() => cache.entryDirectory({ sourceId: '', revision: 'r', options: {} })).toThrow(TypeError);
    expect(() => cache.entryDirectory({ sourceId: 'x\u0000y', revision: 'r', options: {} })).toThrow(TypeError);
  });

  it('defaults to <gpux cache>/conversions', () => {
    const previous = process.env.GPUX_CACHE_DIR;
    process.env.GPUX_CACHE_DIR = root;
    try {
      expect(new ConversionCache().directory).toBe(path.join(root, 'conversions'));
    } finally {
      if (previous === undefined) delete process.env.GPUX_CACHE_DIR;
      else process.env.GPUX_CACHE_DIR = previous;
    }
  });
});
