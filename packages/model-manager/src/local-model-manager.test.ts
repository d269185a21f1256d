import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { LocalModelManager, ModelNotFoundError, RegistryError, RevisionNotFoundError } from './index';
import type { PullProgressEvent } from './index';

const sha256Of = (bytes: Buffer | string): string => createHash('sha256').update(bytes).digest('hex');

describe('LocalModelManager', () => {
  let root: string;
  let model: string;
  const weights = randomBytes(3 * 1024 * 1024 + 17);

  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'gpux-local-'));
    model = path.join(root, 'tiny-bert');
    await mkdir(path.join(model, 'onnx'), { recursive: true });
    await mkdir(path.join(model, '.git'), { recursive: true });
    await writeFile(path.join(model, 'config.json'), JSON.stringify({ model_type: 'bert', architectures: ['BertForMaskedLM'] }));
    await writeFile(path.join(model, 'model.safetensors'), weights);
    await writeFile(path.join(model, 'pytorch_model.bin'), 'torch pickle');
    await writeFile(path.join(model, 'onnx', 'model.onnx'), 'onnx bytes');
    await writeFile(path.join(model, 'README.md'), '---\nlicense: apache-2.0\nlibrary_name: transformers\ntags:\n- bert\n- "tiny"\n---\n# Tiny BERT\n');
    await writeFile(path.join(model, '.git', 'HEAD'), 'ref: refs/heads/main');
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('pulls a directory in place with sizes and sha256 computed like node:crypto', async () => {
    const manager = new LocalModelManager();
    const events: PullProgressEvent[] = [];
    const snapshot = await manager.pullModel(model, { onProgress: (event) => events.push(event) });

    expect(snapshot.directory).toBe(model);
    expect(snapshot.id).toBe(model);
    expect(snapshot.files.map((file) => file.path)).toEqual(['README.md', 'config.json', 'model.safetensors', 'onnx/model.onnx', 'pytorch_model.bin']);
    const safetensors = snapshot.files.find((file) => file.path === 'model.safetensors')!;
    expect(safetensors.size).toBe(weights.length);
    expect(safetensors.sha256).toBe(sha256Of(weights));
    for (const file of snapshot.files) {
      const bytes = await readFile(path.join(model, file.path));
      expect(file.sha256).toBe(sha256Of(bytes));
      expect(file.size).toBe(bytes.length);
    }
    const expectedRevision = sha256Of(
      [...snapshot.files].sort((a, b) => (a.path < b.path ? -1 : 1)).map((file) => `${file.path}\0${file.size}\0${file.sha256}\n`).join(''),
    ).slice(0, 16);
    expect(snapshot.revision).toBe(expectedRevision);

    const lastProgress = events.filter((event) => event.type === 'bytes-progress').at(-1);
    const totalBytes = snapshot.files.reduce((sum, file) => sum + file.size, 0);
    expect(lastProgress).toMatchObject({ overallTransferredBytes: totalBytes, overallTotalBytes: totalBytes });
    expect(events.filter((event) => event.type === 'file-end')).toHaveLength(5);
    expect(events.at(-1)).toEqual({ type: 'resolve', id: model, revision: snapshot.revision });
  });

  it('changes the revision when content changes and refuses a stale pinned revision', async () => {
    const manager = new LocalModelManager();
    const first = await manager.pullModel(model);
    expect((await manager.pullModel(model, { revision: first.revision })).revision).toBe(first.revision);
    await writeFile(path.join(model, 'pytorch_model.bin'), 'other torch pickle');
    const second = await manager.pullModel(model);
    expect(second.revision).not.toBe(first.revision);
    const error: unknown = await manager.pullModel(model, { revision: first.revision }).catch((caught: unknown) => caught);
    expect(RevisionNotFoundError.isInstance(error)).toBe(true);
  });

  it('honours include and exclude globs but keeps the whole-model revision', async () => {
    const manager = new LocalModelManager();
    const full = await manager.pullModel(model);
    const some = await manager.pullModel(model, { include: ['*.json', '**/*.onnx', '*.safetensors'], exclude: ['model.*'] });
    expect(some.files.map((file) => file.path)).toEqual(['config.json', 'onnx/model.onnx']);
    expect(some.revision).toBe(full.revision);
  });

  it('accepts relative paths, file: URLs and file: prefixes', async () => {
    const manager = new LocalModelManager({ cwd: root });
    const byUrl = await manager.listModelFiles(pathToFileURL(model).href);
    const byPrefix = await manager.listModelFiles('file:./tiny-bert');
    const byRelative = await manager.listModelFiles('./tiny-bert');
    expect(byUrl).toEqual(byPrefix);
    expect(byRelative).toEqual(byPrefix);
    expect(byUrl.find((file) => file.path === 'model.safetensors')?.size).toBe(weights.length);
    expect(manager.canHandle('./tiny-bert')).toBe(true);
    expect(manager.canHandle('tiny-bert')).toBe(true);
    expect(manager.canHandle('hf:org/name')).toBe(false);
    expect(manager.canHandle('org/name')).toBe(false);
  });

  it('reads metadata from config.json, README front matter and file names', async () => {
    const manager = new LocalModelManager();
    const info = await manager.getModelInfo(model);
    expect(info).toMatchObject({
      id: model,
      modelType: 'bert',
      architectures: ['BertForMaskedLM'],
      task: 'fill-mask',
      taskSource: 'architectures',
      weightFormats: ['safetensors', 'pytorch-bin', 'onnx'],
      license: 'apache-2.0',
      libraryName: 'transformers',
      tags: ['bert', 'tiny'],
      requiresRemoteCode: false,
      gated: false,
      private: false,
    });
    const sizes = [weights.length, 'torch pickle'.length, 'onnx bytes'.length];
    const config = await readFile(path.join(model, 'config.json'));
    const readme = await readFile(path.join(model, 'README.md'));
    expect(info.totalSize).toBe(sizes.reduce((a, b) => a + b, 0) + config.length + readme.length);
    expect(info.revision).toBe((await manager.pullModel(model)).revision);
  });

  it('flags custom code and prefers a pipeline_tag from the model card', async () => {
    await writeFile(path.join(model, 'config.json'), JSON.stringify({ model_type: 'custom', architectures: ['CustomModel'], auto_map: { AutoModel: 'modeling.CustomModel' } }));
    await writeFile(path.join(model, 'README.md'), '---\npipeline_tag: sentence-similarity\n---\n');
    const info = await new LocalModelManager().getModelInfo(model);
    expect(info.requiresRemoteCode).toBe(true);
    expect(info.task).toBe('sentence-similarity');
    expect(info.taskSource).toBe('pipeline-tag');
    expect(info.license).toBeUndefined();
  });

  it('serves a single model file', async () => {
    const file = path.join(root, 'classifier.tflite');
    await writeFile(file, 'tflite bytes');
    const manager = new LocalModelManager();
    const snapshot = await manager.pullModel(file);
    expect(snapshot.directory).toBe(root);
    expect(snapshot.files).toEqual([{ path: 'classifier.tflite', size: 12, sha256: sha256Of('tflite bytes') }]);
    const info = await manager.getModelInfo(file);
    expect(info.weightFormats).toEqual(['tflite']);
    expect(info.architectures).toEqual([]);
    expect(info.taskSource).toBe('none');
  });

  it('follows symlinks inside the directory and refuses ones that point outside', async () => {
    await symlink(path.join(model, 'model.safetensors'), path.join(model, 'alias.safetensors'));
    const manager = new LocalModelManager();
    const snapshot = await manager.pullModel(model);
    expect(snapshot.files.find((file) => file.path === 'alias.safetensors')?.sha256).toBe(sha256Of(weights));

    const secret = path.join(root, 'secret.txt');
    await writeFile(secret, 'not part of the model');
    await symlink(secret, path.join(model, 'leak.txt'));
    const error: unknown = await manager.pullModel(model).catch((caught: unknown) => caught);
    expect(RegistryError.isInstance(error) && error.code).toBe('UNSAFE_PATH');
    const listError: unknown = await manager.listModelFiles(model).catch((caught: unknown) => caught);
    expect(RegistryError.isInstance(listError) && listError.code).toBe('UNSAFE_PATH');
    // The revision covers the whole directory, so excluding the link does not make it acceptable.
    const filteredError: unknown = await manager.pullModel(model, { exclude: ['leak.txt'] }).catch((caught: unknown) => caught);
    expect(RegistryError.isInstance(filteredError) && filteredError.code).toBe('UNSAFE_PATH');

    await rm(path.join(model, 'leak.txt'));
    await symlink(root, path.join(model, 'parent'));
    const directoryError: unknown = await manager.pullModel(model).catch((caught: unknown) => caught);
    expect(RegistryError.isInstance(directoryError) && directoryError.code).toBe('UNSAFE_PATH');
  });

  it('reports a missing path as ModelNotFoundError and honours an aborted signal', async () => {
    const manager = new LocalModelManager();
    const missing: unknown = await manager.pullModel(path.join(root, 'nope')).catch((caught: unknown) => caught);
    expect(ModelNotFoundError.isInstance(missing)).toBe(true);
    const controller = new AbortController();
    controller.abort();
    const cancelled: unknown = await manager.pullModel(model, { signal: controller.signal }).catch((caught: unknown) => caught);
    expect(RegistryError.isInstance(cancelled) && cancelled.code).toBe('CANCELLED');
  });

  it('finds the model itself by name', async () => {
    const manager = new LocalModelManager({ directory: model });
    expect(await manager.searchModels('tiny')).toEqual([{ id: model, task: 'fill-mask' }]);
    expect(await manager.searchModels('gpt')).toEqual([]);
    expect(await manager.searchModels('tiny', { task: 'text-generation' })).toEqual([]);
    expect(await new LocalModelManager().searchModels(model)).toEqual([{ id: model, task: 'fill-mask' }]);
  });
});
