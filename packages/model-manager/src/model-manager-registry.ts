import { LocalModelManager } from './local-model-manager';
import type { ModelFile, ModelInfoOptions, ModelManager, ModelMetadata, ModelSnapshot, PullModelOptions, PullProgressEvent } from './model-manager';
import { parseModelId, type ParsedModelId } from './parse-model-id';
import { RegistryError } from './registry-error';

/** Kinds whose ids {@link parseModelId} recognises; other kinds are asked through `canHandle`. */
const builtInKinds = new Set(['huggingface', 'local']);

/** Options of the {@link ModelManagerRegistry} constructor. */
export interface ModelManagerRegistryOptions {
  /** Managers to register. A {@link LocalModelManager} is added when none of kind `local` is given. */
  managers?: ModelManager[];
  /** Directory that relative paths are resolved against. @default process.cwd() */
  cwd?: string;
}

/** A manager chosen for an id, with the id split into its parts. */
export interface ResolvedModelId {
  manager: ModelManager;
  /** The id to hand to the manager (`org/name` without `hf:` and `@revision`, or an absolute path). */
  id: string;
  /** The revision named in the id (`org/name@revision`), if any. */
  revision?: string;
}

/**
 * Holds the model managers and picks one by the form of a model id (see {@link parseModelId}):
 * `hf:org/name[@rev]` and `org/name[@rev]` go to the manager of kind `huggingface`, local paths and
 * `file:` ids to the manager of kind `local`. Ids that {@link parseModelId} rejects go to the first
 * registered manager of another kind whose `canHandle` accepts them; otherwise the TypeError stands.
 *
 * @example
 * ```ts
 * const registry = new ModelManagerRegistry({ managers: [new HuggingFaceManager()] });
 * const snapshot = await registry.pullModel('hf:google-bert/bert-base-uncased@main');
 * const local = await registry.getModelInfo('./models/bert');
 * ```
 */
export class ModelManagerRegistry {
  private readonly managers: ModelManager[] = [];
  private readonly cwd: string | undefined;

  constructor(options: ModelManagerRegistryOptions = {}) {
    this.cwd = options.cwd;
    for (const manager of options.managers ?? []) this.register(manager);
    if (!this.managers.some((manager) => manager.kind === 'local')) {
      this.register(new LocalModelManager({ cwd: this.cwd }));
    }
  }

  /**
   * Adds a manager; one of the same `kind` is replaced.
   * @throws TypeError when `manager` lacks a `kind` or the ModelManager methods.
   */
  register(manager: ModelManager): this {
    if (typeof manager?.kind !== 'string' || typeof manager.pullModel !== 'function' || typeof manager.canHandle !== 'function') {
      throw new TypeError('Expected "manager" to implement ModelManager (kind, canHandle, pullModel, ...).');
    }
    const index = this.managers.findIndex((existing) => existing.kind === manager.kind);
    if (index === -1) this.managers.push(manager);
    else this.managers[index] = manager;
    return this;
  }

  /** The registered managers, in registration order. */
  list(): readonly ModelManager[] {
    return [...this.managers];
  }

  /** The manager of this kind, if registered. */
  get(kind: string): ModelManager | undefined {
    return this.managers.find((manager) => manager.kind === kind);
  }

  /**
   * Picks the manager for `id` and splits the id.
   * @throws TypeError for a malformed id; RegistryError (`REGISTRY_ERROR`) when no registered manager serves it.
   */
  resolve(id: string): ResolvedModelId {
    let parsed: ParsedModelId | undefined;
    let parseError: unknown;
    try {
      parsed = parseModelId(id, { cwd: this.cwd });
    } catch (error) {
      parseError = error;
    }
    if (parsed !== undefined) {
      const manager = this.get(parsed.registry);
      if (manager === undefined) {
        const hint = parsed.registry === 'huggingface' ? 'register a HuggingFaceManager from @gpux/hf-manager' : 'register a LocalModelManager';
        throw new RegistryError('REGISTRY_ERROR', `No model manager of kind "${parsed.registry}" is registered for ${JSON.stringify(id)}; ${hint}.`);
      }
      return parsed.revision === undefined ? { manager, id: parsed.id } : { manager, id: parsed.id, revision: parsed.revision };
    }
    const fallback = this.managers.find((manager) => !builtInKinds.has(manager.kind) && manager.canHandle(id));
    if (fallback !== undefined) return { manager: fallback, id };
    throw parseError;
  }

  /** Pulls through the chosen manager; a revision in the id (`@rev`) is used unless `options.revision` is set. */
  async pullModel(id: string, options: PullModelOptions = {}): Promise<ModelSnapshot> {
    const { manager, id: managerId, revision } = this.resolve(id);
    return manager.pullModel(managerId, withRevision(options, revision, id));
  }

  /** Iterator form of {@link ModelManagerRegistry.pullModel}. */
  async *pullModelIter(id: string, options: Omit<PullModelOptions, 'onProgress'> = {}): AsyncGenerator<PullProgressEvent, ModelSnapshot, void> {
    const { manager, id: managerId, revision } = this.resolve(id);
    return yield* manager.pullModelIter(managerId, withRevision(options, revision, id));
  }

  /** Model metadata through the chosen manager. */
  async getModelInfo(id: string, options: ModelInfoOptions = {}): Promise<ModelMetadata> {
    const { manager, id: managerId, revision } = this.resolve(id);
    return manager.getModelInfo(managerId, withRevision(options, revision, id));
  }

  /** File listing through the chosen manager. */
  async listModelFiles(id: string, options: ModelInfoOptions = {}): Promise<ModelFile[]> {
    const { manager, id: managerId, revision } = this.resolve(id);
    return manager.listModelFiles(managerId, withRevision(options, revision, id));
  }
}

function withRevision<T extends { revision?: string }>(options: T, fromId: string | undefined, id: string): T {
  if (fromId === undefined) return options;
  if (options.revision !== undefined && options.revision !== fromId) {
    throw new TypeError(`The id ${JSON.stringify(id)} names revision "${fromId}" but options.revision is "${options.revision}"; give only one.`);
  }
  return { ...options, revision: fromId };
}
