import { HuggingFaceManager } from '@gpux/hf-manager';
import { LocalModelManager, type ModelManager } from '@gpux/model-manager';

/** Hub settings shared by `convert` and `pull`. */
export interface HubCliOptions {
  hubUrl?: string;
  token?: string;
  offline?: boolean;
  trustRemoteCode?: boolean;
}

/**
 * The model managers the CLI resolves sources with: local paths first (content-hash revisions, so
 * local models are cached too), then the Hugging Face hub (`--hub-url`/`HF_ENDPOINT`,
 * `--token`/`HF_TOKEN`, `--offline`/`HF_HUB_OFFLINE`).
 */
export function createModelManagers(options: HubCliOptions): ModelManager[] {
  return [
    new LocalModelManager(),
    new HuggingFaceManager({
      hubUrl: options.hubUrl,
      accessToken: options.token,
      ...(options.offline === true ? { offline: true } : {}),
      trustRemoteCode: options.trustRemoteCode === true,
    }),
  ];
}
