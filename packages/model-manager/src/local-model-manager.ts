import { readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { throwIfCancelled } from './compute-file-sha256';
import { detectWeightFormats } from './detect-weight-formats';
import { inferTaskFromArchitectures } from './infer-task-from-architectures';
import { contentRevision, ModelFileHasher } from './model-file-hasher';
import type {
  ModelFile,
  ModelInfoOptions,
  ModelManager,
  ModelMetadata,
  ModelSearchResult,
  ModelSnapshot,
  PullModelOptions,
  PullProgressEvent,
  SearchModelsOptions,
} from './model-manager';
import { parseModelId } from './parse-model-id';
import { parseModelCardMetadata } from './read-model-card-metadata';
import { ModelNotFoundError, RegistryError, RevisionNotFoundError } from './registry-error';
import { makeSelector, walkModelDirectory, type WalkedFile } from './walk-model-directory';

/** Options of the {@link LocalModelManager} constructor. */
export interface LocalModelManagerOptions {
  /** Directory that relative ids are resolved against. @default process.cwd() */
  cwd?: string;
  /** A model directory (or file) that {@link LocalModelManager.searchModels} offers when the query matches its name. */
  directory?: string;
}

interface Location {
  /** Canonical id: the absolute path the caller named. */
  id: string;
  /** Real path of the directory that holds the files. */
  directory: string;
  /** Set when the model is a single file: its name inside `directory`. */
  singleFile?: string;
}

interface ModelConfig {
  model_type?: unknown;
  architectures?: unknown;
  auto_map?: unknown;
}

/** Revisions that mean "whatever is on disk now". */
const currentRevisions = new Set(['main', 'local', 'HEAD']);

/**
 * Serves a local directory (or a single model file) as a model, without copying it.
 *
 * Ids are absolute or relative paths, `~/` paths, `file:` URLs (`file:///models/bert`) and `file:`
 * prefixes (`file:./bert`). The snapshot's `directory` is the model directory itself, and its
 * `revision` is a content hash (16 hex digits of sha256 over the sorted `path`, `size` and `sha256` of
 * every file), so a changed file gives a new revision. Passing that hash as `revision` pins it: a
 * pull fails with `RevisionNotFoundError` when the content changed. `.git` and `.cache` directories
 * are skipped; a symlink pointing outside the model directory is refused with a `RegistryError` of
 * code `UNSAFE_PATH`. Hashes are remembered per file (device, inode, size, mtime) for the life of
 * the manager.
 *
 * @example
 * ```ts
 * const manager = new LocalModelManager();
 * const snapshot = await manager.pullModel('./models/bert', { include: ['*.json', '*.safetensors'] });
 * console.log(snapshot.revision, snapshot.files.map((file) => `${file.path} ${file.sha256}`));
 * ```
 */
export class LocalModelManager implements ModelManager {
  readonly kind = 'local';
  private readonly cwd: string;
  private readonly searchDirectory: string | undefined;
  private readonly hasher = new ModelFileHasher();

  constructor(options: LocalModelManagerOptions = {}) {
    this.cwd = path.resolve(options.cwd ?? process.cwd());
    this.searchDirectory = options.directory === undefined ? undefined : path.resolve(this.cwd, options.directory);
  }

  /** True for ids that name a local path (`./x`, `/x`, `file:`, or an existing relative path). */
  canHandle(id: string): boolean {
    try {
      return parseModelId(id, { cwd: this.cwd }).registry === 'local';
    } catch {
      return false;
    }
  }

  /**
   * Hashes the model's files and yields progress: `file-start`, `bytes-progress` and `file-end`
   * (with `cached: true`) for every file hashed, then `resolve` with the content revision.
   *
   * @throws ModelNotFoundError when the path does not exist.
   * @throws RevisionNotFoundError when `revision` is a content hash that no longer matches.
   * @throws RegistryError `UNSAFE_PATH` for a symlink leaving the directory, `CANCELLED` on abort.
   */
  async *pullModelIter(id: string, options: Omit<PullModelOptions, 'onProgress'> = {}): AsyncGenerator<PullProgressEvent, ModelSnapshot, void> {
    const location = await this.locate(id);
    const allFiles = await this.listFiles(location, options.signal);
    const hashed = yield* this.hasher.hashFilesIter(allFiles, options.signal);
    const revision = contentRevision(hashed);
    checkRevision(location.id, options.revision, revision);
    yield { type: 'resolve', id: location.id, revision };
    const isSelected = makeSelector(options.include, options.exclude);
    return { id: location.id, revision, directory: location.directory, files: hashed.filter((file) => isSelected(file.path)) };
  }

  /** Awaitable form of {@link LocalModelManager.pullModelIter}; `onProgress` receives each event. */
  async pullModel(id: string, options: PullModelOptions = {}): Promise<ModelSnapshot> {
    const { onProgress, ...rest } = options;
    const iterator = this.pullModelIter(id, rest);
    for (;;) {
      const step = await iterator.next();
      if (step.done) return step.value;
      onProgress?.(step.value);
    }
  }

  /**
   * Reads config.json (`model_type`, `architectures`, `auto_map`) and README.md front matter
   * (`license`, `pipeline_tag`, `library_name`, `tags`), detects weight formats from file names, and
   * computes the content revision.
   *
   * @throws ModelNotFoundError when the path does not exist; RegistryError when config.json is not valid JSON.
   */
  async getModelInfo(id: string, options: ModelInfoOptions = {}): Promise<ModelMetadata> {
    const location = await this.locate(id);
    const files = await this.listFiles(location, options.signal);
    const hashed = await drain(this.hasher.hashFilesIter(files, options.signal));
    const revision = contentRevision(hashed);
    checkRevision(location.id, options.revision, revision);
    const config = await this.readConfig(location);
    const card = await readCard(location);
    const architectures = Array.isArray(config?.architectures) ? config.architectures.filter((name): name is string => typeof name === 'string') : [];
    const modelType = typeof config?.model_type === 'string' ? config.model_type : undefined;
    const inferred = inferTaskFromArchitectures(architectures, modelType);
    const task = card.pipelineTag ?? inferred;
    const metadata: ModelMetadata = {
      id: location.id,
      revision,
      architectures,
      taskSource: card.pipelineTag !== undefined ? 'pipeline-tag' : inferred !== undefined ? 'architectures' : 'none',
      weightFormats: detectWeightFormats(files.map((file) => file.path)),
      totalSize: files.reduce((total, file) => total + file.size, 0),
      gated: false,
      private: false,
      requiresRemoteCode: typeof config?.auto_map === 'object' && config.auto_map !== null && Object.keys(config.auto_map).length > 0,
      tags: card.tags,
    };
    if (modelType !== undefined) metadata.modelType = modelType;
    if (task !== undefined) metadata.task = task;
    if (card.license !== undefined) metadata.license = card.license;
    if (card.libraryName !== undefined) metadata.libraryName = card.libraryName;
    return metadata;
  }

  /**
   * Offers local models whose directory name contains `query` (case-insensitive): the path `query`
   * itself when it names a local model, and the `directory` given to the constructor.
   */
  async searchModels(query: string, options: SearchModelsOptions = {}): Promise<ModelSearchResult[]> {
    if (typeof query !== 'string') throw new TypeError(`Expected "query" to be a string, received ${typeof query}.`);
    const limit = options.limit ?? 20;
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`Expected "limit" to be a positive integer, received ${String(limit)}.`);
    const candidates = new Set<string>();
    if (query !== '' && this.canHandle(query)) candidates.add(parseModelId(query, { cwd: this.cwd }).id);
    if (this.searchDirectory !== undefined && path.basename(this.searchDirectory).toLowerCase().includes(query.toLowerCase())) {
      candidates.add(this.searchDirectory);
    }
    const results: ModelSearchResult[] = [];
    for (const candidate of candidates) {
      throwIfCancelled(options.signal);
      const location = await this.locate(candidate).catch((error: unknown) => {
        if (ModelNotFoundError.isInstance(error)) return undefined;
        throw error;
      });
      if (location === undefined) continue;
      const config = await this.readConfig(location).catch(() => undefined);
      const architectures = Array.isArray(config?.architectures) ? config.architectures.filter((name): name is string => typeof name === 'string') : [];
      const task = inferTaskFromArchitectures(architectures, typeof config?.model_type === 'string' ? config.model_type : undefined);
      if (options.task !== undefined && task !== options.task) continue;
      results.push(task === undefined ? { id: location.id } : { id: location.id, task });
    }
    return results.slice(0, limit);
  }

  /**
   * Lists the model's files with their sizes (no hashing, so it is cheap). When `revision` names a
   * content hash, the files are hashed to check it.
   */
  async listModelFiles(id: string, options: ModelInfoOptions = {}): Promise<ModelFile[]> {
    const location = await this.locate(id);
    const files = await this.listFiles(location, options.signal);
    if (options.revision !== undefined && !currentRevisions.has(options.revision)) {
      const hashed = await drain(this.hasher.hashFilesIter(files, options.signal));
      checkRevision(location.id, options.revision, contentRevision(hashed));
      return hashed;
    }
    return files.map((file) => ({ path: file.path, size: file.size }));
  }

  private async locate(id: string): Promise<Location> {
    if (typeof id !== 'string' || id === '') throw new TypeError(`Expected "id" to be a local path or file: URL, received ${JSON.stringify(id)}.`);
    if (id.startsWith('hf:')) throw new TypeError(`The local model manager cannot serve the hub id ${JSON.stringify(id)}; register a HuggingFaceManager for it.`);
    let absolute: string;
    try {
      const parsed = parseModelId(id, { cwd: this.cwd });
      absolute = parsed.registry === 'local' ? parsed.id : path.resolve(this.cwd, id);
    } catch {
      absolute = path.resolve(this.cwd, id);
    }
    let real: string;
    try {
      real = await realpath(absolute);
    } catch (error) {
      throw new ModelNotFoundError(`No local model at ${absolute}: the path does not exist. Check the path, or prefix hub ids with "hf:".`, {
        cause: error,
        details: { path: absolute },
      });
    }
    const info = await stat(real);
    if (info.isDirectory()) return { id: absolute, directory: real };
    if (info.isFile()) return { id: absolute, directory: path.dirname(real), singleFile: path.basename(real) };
    throw new ModelNotFoundError(`No local model at ${absolute}: it is neither a directory nor a file.`, { details: { path: absolute } });
  }

  private async listFiles(location: Location, signal: AbortSignal | undefined): Promise<WalkedFile[]> {
    if (location.singleFile === undefined) return walkModelDirectory(location.directory, signal ? { signal } : {});
    const absolutePath = path.join(location.directory, location.singleFile);
    const info = await stat(absolutePath);
    return [{ path: location.singleFile, absolutePath, size: info.size, mtimeMs: info.mtimeMs, ino: info.ino, dev: info.dev }];
  }

  private async readConfig(location: Location): Promise<ModelConfig | undefined> {
    if (location.singleFile !== undefined) return undefined;
    const text = await readFile(path.join(location.directory, 'config.json'), 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (text === undefined) return undefined;
    try {
      const parsed: unknown = JSON.parse(text);
      return typeof parsed === 'object' && parsed !== null ? parsed : {};
    } catch (error) {
      throw new RegistryError('REGISTRY_ERROR', `${path.join(location.directory, 'config.json')} is not valid JSON; fix or remove it.`, { cause: error });
    }
  }
}

function checkRevision(id: string, requested: string | undefined, actual: string): void {
  if (requested === undefined || currentRevisions.has(requested) || requested === actual) return;
  throw new RevisionNotFoundError(
    `The local model ${id} is at content revision ${actual}, not ${requested}: its files changed. Pass revision "main" to use the current files.`,
    { details: { requested, actual } },
  );
}

async function readCard(location: Location): Promise<ReturnType<typeof parseModelCardMetadata>> {
  if (location.singleFile !== undefined) return { tags: [] };
  const text = await readFile(path.join(location.directory, 'README.md'), 'utf8').catch(() => undefined);
  return text === undefined ? { tags: [] } : parseModelCardMetadata(text);
}

async function drain<T, R>(iterator: AsyncGenerator<T, R, void>): Promise<R> {
  for (;;) {
    const step = await iterator.next();
    if (step.done) return step.value;
  }
}
