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
