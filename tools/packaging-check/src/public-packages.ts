/** The packages this workspace publishes to npm, by folder under packages/. */
export const publicPackages = [
  { folder: 'model-manager', name: '@gpux/model-manager' },
  { folder: 'onnx', name: '@gpux/onnx' },
  { folder: 'hf-manager', name: '@gpux/hf-manager' },
  { folder: 'converter-core', name: '@gpux/converter-core' },
  { folder: 'pytorch-adapter', name: '@gpux/pytorch-adapter' },
  { folder: 'tf-adapter', name: '@gpux/tf-adapter' },
  { folder: 'optimizer', name: '@gpux/optimizer' },
  { folder: 'cli', name: '@gpux/cli' },
] as const;
