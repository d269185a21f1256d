export { createPytorchAdapter, pytorchAdapter } from './pytorch-adapter';
export type { PytorchAdapterOptions, PytorchExportOptions, PytorchExporter } from './pytorch-adapter-options';
export { detectPytorchSource } from './detect-pytorch-source';
export { readZipEntryNames } from './read-zip-entry-names';
export { PYTORCH_TASKS, taskFromArchitecture } from './task-from-architecture';
export type { PytorchTask } from './task-from-architecture';
export { pytorchAdapterDirectory, pytorchRequirements } from './pytorch-requirements';

/** The npm name of this package. */
export const packageName = '@gpux/pytorch-adapter';
