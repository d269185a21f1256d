export { HuggingFaceManager } from './hugging-face-manager';
export type { HuggingFaceManagerOptions } from './hugging-face-manager';
export {
  defaultHubEndpoint,
  resolveHubCacheDirectory,
  resolveHubEndpoint,
  resolveHubOffline,
  resolveHubToken,
  resolveHuggingFaceHome,
} from './resolve-hub-settings';
export { hubRepoCachePaths } from './hub-cache-layout';
export type { HubRepoCachePaths } from './hub-cache-layout';
