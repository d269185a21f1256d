export { createTensorflowAdapter, tensorflowAdapter } from './tensorflow-adapter';
export type { CreateTensorflowAdapterOptions } from './tensorflow-adapter';
export { detectTensorflowSource } from './detect-tensorflow-source';
export { normalizeTensorflowAdapterOptions } from './tensorflow-adapter-options';
export type { TensorflowAdapterOptions } from './tensorflow-adapter-options';
export { requirementSetForSource, tensorflowRequirements, tensorflowTransformersRequirements } from './tensorflow-requirements';
export { listSavedModelSignatures } from './list-saved-model-signatures';
export type { ListSavedModelSignaturesOptions, SavedModelSignature, SignatureTensor } from './list-saved-model-signatures';
