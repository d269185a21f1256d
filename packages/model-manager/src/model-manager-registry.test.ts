import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LocalModelManager, ModelManagerRegistry, parseModelId, RegistryError } from './index';
import type { ModelFile, ModelInfoOptions, ModelManager, ModelMetadata, ModelSnapshot, PullModelOptions, PullProgressEvent } from './index';

/** A hub stand-in that records the ids and revisions it is asked for. */
class RecordingHubManager implements ModelManager {
  readonly kind = 'huggingface';
  readonly calls: Array<{ id: string; revision: string | undefined }> = [];
  canHandle(id: string): boolean {
    return !id.startsWith('.') && !id.startsWith('/');
  }
  async *pullModelIter(id: string, options: Omit<PullModelOptions, 'onProgress'> = {}): AsyncGenerator<PullProgressEvent, ModelSnapshot, void> {
    this.calls.push({ id, revision: options.revision });
    await Promise.resolve();
    return { id, revision: options.revision ?? 'main-sha', directory: '/hub', files: [] };
  }
  async pullModel(id: string, options: PullModelOptions = {}): Promise<ModelSnapshot> {
    const iterator = this.pullModelIter(id, options);
    const step = await iterator.next();
    if (!step.done) throw new Error('unexpected event');
    return step.value;
  }
  getModelInfo(): Promise<ModelMetadata> {
    return Promise.reject(new Error('not used'));
  }
  searchModels(): Promise<[]> {
    return Promise.resolve([]);
  }
  listModelFiles(id: string, options: ModelInfoOptions = {}): Promise<ModelFile[]> {
    this.calls.push({ id, revision: options.revision });
    return Promise.resolve([]);
  }
}

describe('parseModelId', () => {
  const cwd = '/work/project';
  const nothingExists = { cwd, pathExists: () => false };

  it('parses hub ids with and without hf: and @revision', () => {
    expect(parseModelId('org/name', nothingExists)).toEqual({ registry: 'huggingface', id: 'org/name' });
    expect(parseModelId('hf:org/name@v1.0', nothingExists)).toEqual({ registry: 'huggingface', id: 'org/name', revision: 'v1.0' });
    expect(parseModelId('gpt2@refs/pr/1', nothingExists)).toEqual({ registry: 'huggingface', id: 'gpt2', revision: 'refs/pr/1' });
  });

  it('parses local paths and file: ids', () => {
    expect(parseModelId('./models/bert', nothingExists)).toEqual({ registry: 'local', id: '/work/project/models/bert' });
    expect(parseModelId('../bert', nothingExists)).toEqual({ registry: 'local', id: '/work/bert' });
    expect(parseModelId('/abs/bert@2', nothingExists)).toEqual({ registry: 'local', id: '/abs/bert@2' });
    expect(parseModelId('file:///abs/my%20model', nothingExists)).toEqual({ registry: 'local', id: '/abs/my model' });
    expect(parseModelId('file:models/bert', nothingExists)).toEqual({ registry: 'local', id: '/work/project/models/bert' });
    // An existing path wins over the hub form; hf: forces the hub.
    const exists = { cwd, pathExists: (candidate: string) => candidate === '/work/project/org/name' };
    expect(parseModelId('org/name', exists)).toEqual({ registry: 'local', id: '/work/project/org/name' });
    expect(parseModelId('hf:org/name', exists)).toEqual({ registry: 'huggingface', id: 'org/name' });
  });

  it.each(['org/name@', 'hf:../etc/passwd', 'hf:org/../x', 'org/na me', 'a/b/c', 'org/name@../main', 'org/name@/abs', '-org/name', 'org--x/name', 'hf:', '', 'file://host/share/x', 'file:'])(
    'rejects %j with a TypeError',
    (id) => {
      expect(() => parseModelId(id, nothingExists)).toThrow(TypeError);
    },
  );
});

describe('ModelManagerRegistry', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'gpux-registry-'));
    await mkdir(path.join(root, 'local-model'));
    await writeFile(path.join(root, 'local-model', 'model.onnx'), 'onnx');
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('routes hub ids to the huggingface manager, passing the revision from the id', async () => {
    const hub = new RecordingHubManager();
    const registry = new ModelManagerRegistry({ managers: [hub], cwd: root });
    expect(registry.resolve('hf:org/name@abc').manager).toBe(hub);
    const snapshot = await registry.pullModel('hf:org/name@abc');
    expect(snapshot.revision).toBe('abc');
    await registry.listModelFiles('org/name');
    expect(hub.calls).toEqual([
      { id: 'org/name', revision: 'abc' },
      { id: 'org/name', revision: undefined },
    ]);
    expect(() => registry.resolve('org/name@')).toThrow(TypeError);
    await expect(registry.pullModel('org/name@abc', { revision: 'def' })).rejects.toThrow(TypeError);
  });

  it('routes paths and file: ids to the local manager', async () => {
    const registry = new ModelManagerRegistry({ managers: [new RecordingHubManager()], cwd: root });
    const resolved = registry.resolve('local-model');
    expect(resolved.manager).toBeInstanceOf(LocalModelManager);
    expect(resolved.id).toBe(path.join(root, 'local-model'));
    expect(registry.resolve(`file:${path.join(root, 'local-model')}`).manager.kind).toBe('local');
    const files = await registry.listModelFiles('./local-model');
    expect(files).toEqual([{ path: 'model.onnx', size: 4 }]);
  });

  it('says how to register the hub manager when it is missing', () => {
    const registry = new ModelManagerRegistry({ cwd: root });
    let error: unknown;
    try {
      registry.resolve('org/name');
    } catch (caught) {
      error = caught;
    }
    expect(RegistryError.isInstance(error) && error.code).toBe('REGISTRY_ERROR');
    expect((error as Error).message).toContain('HuggingFaceManager');
    expect(registry.list().map((manager) => manager.kind)).toEqual(['local']);
  });
});
