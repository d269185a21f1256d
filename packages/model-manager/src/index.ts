export { resolveGpuxCacheDirectory } from './resolve-gpux-cache-directory';
export {
  AuthenticationError,
  IntegrityError,
  ModelNotFoundError,
  NetworkError,
  RegistryError,
  RevisionNotFoundError,
} from './registry-error';
export type { RegistryErrorCode, RegistryErrorOptions } from './registry-error';
export type {
  ModelFile,
  ModelInfoOptions,
  ModelManager,
  ModelMetadata,
  ModelSearchResult,
  ModelSnapshot,
  PullModelOptions,
  PullProgressEvent,
  SearchModelsOptions,
  WeightFormat,
} from './model-manager';
export { LocalModelManager } from './local-model-manager';
export type { LocalModelManagerOptions } from './local-model-manager';
export { ModelManagerRegistry } from './model-manager-registry';
export type { ModelManagerRegistryOptions, ResolvedModelId } from './model-manager-registry';
export { parseModelId } from './parse-model-id';
export type { ParsedModelId, ParseModelIdOptions } from './parse-model-id';
export { inferTaskFromArchitectures } from './infer-task-from-architectures';
export { detectWeightFormats } from './detect-weight-formats';
export { parseModelCardMetadata } from './read-model-card-metadata';
export type { ModelCardMetadata } from './read-model-card-metadata';
export { computeFileSha256, computeFileSha256Iter } from './compute-file-sha256';
export type { ComputeFileSha256Options } from './compute-file-sha256';
export { ConversionCache } from './conversion-cache';
export type { ConversionCacheOptions } from './conversion-cache';
export type { CachedConversion, ConversionKey, ConversionManifest, ConversionManifestFile } from './conversion-manifest';
export type { ConversionStaging } from './conversion-staging';
export { isSecretOptionKey } from './hash-conversion-options';
export { isAbandonedByOwner, ownerProcessTag } from './owner-process';
