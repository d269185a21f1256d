/** The external data setting of a save that must keep a source model's external data. */
import type { ModelProto } from '@gpux/onnx';
import { forEachTensor, isExternalTensor } from '@gpux/onnx';

/** True when any tensor of the model (initializers, attributes, subgraphs) lives in external data. */
export function hasExternalData(model: ModelProto): boolean {
  let found = false;
  forEachTensor(model, (tensor) => {
    if (isExternalTensor(tensor)) found = true;
  });
  return found;
}

/**
 * `saveOnnxModel`'s `'auto'` keeps external data only while some tensor still refers to the source
 * file; a rewrite that replaces every external weight by a new in-memory one (float16, int8) would
 * then write one inline file. Call this BEFORE the rewrite: `'auto'` becomes `true` when the source
 * had external data, so the output keeps its weights beside it; other settings pass through.
 *
 * @example
 * ```ts
 * const externalData = resolveExternalDataMode(model, options.externalData);
 * convertToFloat16(model);
 * await saveOnnxModel(model, output, { externalData });
 * ```
 */
export function resolveExternalDataMode(model: ModelProto, requested: 'auto' | boolean = 'auto'): 'auto' | boolean {
  return requested === 'auto' && hasExternalData(model) ? true : requested;
}
