/**
 * The contract every model registry implements (the Hugging Face hub, a local directory, ...).
 *
 * Long operations come in two shapes: an `AsyncGenerator` of typed progress events whose return
 * value is the result (`pullModelIter`), and a plain awaitable wrapper (`pullModel`) that takes an
 * optional `onProgress` callback.
 */

/** Weight formats a model repository can hold. */
export type WeightFormat =
  | 'safetensors'
  | 'pytorch-bin'
  | 'torchscript'
  | 'torch-export'
  | 'tf-savedmodel'
  | 'tf-h5'
  | 'keras'
  | 'tfjs'
  | 'tflite'
  | 'onnx';

/** A file of a model snapshot on local disk. */
export interface ModelFile {
  /** Path relative to the snapshot directory, with `/` separators. */
  path: string;
  /** Size in bytes. */
  size: number;
  /** Lowercase hex sha256 of the content, when known (always known for LFS files and local files). */
  sha256?: string;
  /** Git blob id (sha1) of the file as the registry reports it, when known. */
  blobId?: string;
}

/** A model materialised on local disk. */
export interface ModelSnapshot {
  /** The canonical id (`org/name` for the hub, an absolute path for local models). */
  id: string;
  /** The resolved, immutable revision (a commit sha for the hub, a content hash for local models). */
  revision: string;
  /** Absolute path of the directory holding the files. */
  directory: string;
  files: ModelFile[];
}

/** What a registry knows about a model without downloading its weights. */
export interface ModelMetadata {
  id: string;
  /** The resolved, immutable revision. */
  revision: string;
  /** `model_type` from config.json. */
  modelType?: string;
  /** `architectures` from config.json. */
  architectures: string[];
  /** The hub's pipeline tag, or a task inferred from the architectures. */
  task?: string;
  /** Where `task` came from. */
  taskSource?: 'pipeline-tag' | 'architectures' | 'none';
  weightFormats: WeightFormat[];
  /** Sum of the sizes of all files, in bytes. */
  totalSize: number;
  license?: string;
  gated: boolean;
  private: boolean;
  /** True when config.json asks for custom code (`auto_map`). */
  requiresRemoteCode: boolean;
  /** Library that produced the model, when the registry says (`transformers`, `keras`, ...). */
  libraryName?: string;
  tags: string[];
}

/** A search hit. */
export interface ModelSearchResult {
  id: string;
  task?: string;
  downloads?: number;
  likes?: number;
  updatedAt?: Date;
}

/** Progress events of a pull. */
export type PullProgressEvent =
  | { type: 'resolve'; id: string; revision: string }
  | { type: 'file-start'; path: string; totalBytes: number }
  | { type: 'bytes-progress'; path: string; transferredBytes: number; totalBytes: number; overallTransferredBytes: number; overallTotalBytes: number }
  | { type: 'file-end'; path: string; cached: boolean }
  | { type: 'retry'; path?: string; attempt: number; delayMs: number; reason: string };

/** Options of {@link ModelManager.pullModel}. */
export interface PullModelOptions {
  /** Branch, tag or commit. @default "main" */
  revision?: string;
  /** Glob patterns (`*`, `**`, `?`) of files to fetch; all files when absent. */
  include?: string[];
  /** Glob patterns of files to skip. */
  exclude?: string[];
  signal?: AbortSignal;
  onProgress?: (event: PullProgressEvent) => void;
}

/** Options of {@link ModelManager.getModelInfo}. */
export interface ModelInfoOptions {
  /** @default "main" */
  revision?: string;
  signal?: AbortSignal;
}

/** Options of {@link ModelManager.searchModels}. */
export interface SearchModelsOptions {
  /** Maximum number of results. @default 20 */
  limit?: number;
  /** Only models with this pipeline tag. */
  task?: string;
  signal?: AbortSignal;
}

/** The interface every registry implements. */
export interface ModelManager {
  /** Short name of the registry (`huggingface`, `local`). */
  readonly kind: string;
  /** True when this manager serves ids of this form. */
  canHandle(id: string): boolean;
  /** Downloads (or finds in the cache) a snapshot of the model, yielding progress events. */
  pullModelIter(id: string, options?: Omit<PullModelOptions, 'onProgress'>): AsyncGenerator<PullProgressEvent, ModelSnapshot, void>;
  /** Awaitable form of {@link ModelManager.pullModelIter}. */
  pullModel(id: string, options?: PullModelOptions): Promise<ModelSnapshot>;
  getModelInfo(id: string, options?: ModelInfoOptions): Promise<ModelMetadata>;
  searchModels(query: string, options?: SearchModelsOptions): Promise<ModelSearchResult[]>;
  listModelFiles(id: string, options?: ModelInfoOptions): Promise<ModelFile[]>;
}
