import type { PythonRequirementSet } from '@gpux/converter-core';
import { pytorchRequirements } from '@gpux/pytorch-adapter';
import { tensorflowRequirements, tensorflowTransformersRequirements } from '@gpux/tf-adapter';

/** The name of a managed Python environment, as `gpux-convert setup` and `doctor` show it. */
export type RequirementSetName = 'pytorch' | 'tensorflow' | 'tensorflow-transformers';

/**
 * The managed Python environments, by the name `gpux-convert setup` takes. `tensorflow-transformers`
 * (transformers 4.57 + tf-keras) is used only for Hugging Face folders whose weights are `tf_model.h5`.
 */
export const requirementSets: Record<RequirementSetName, PythonRequirementSet> = {
  pytorch: pytorchRequirements,
  tensorflow: tensorflowRequirements,
  'tensorflow-transformers': tensorflowTransformersRequirements,
};

/**
 * Resolves `pytorch`, `tensorflow`, `tensorflow-transformers` or `all` (also `pt`, `torch`, `tf`,
 * `tf-transformers`) to requirement sets.
 *
 * @throws RangeError for any other name.
 */
export function selectRequirementSets(name: string): PythonRequirementSet[] {
  switch (name.toLowerCase()) {
    case 'all':
      return [requirementSets.pytorch, requirementSets.tensorflow, requirementSets['tensorflow-transformers']];
    case 'pytorch':
    case 'pt':
    case 'torch':
      return [requirementSets.pytorch];
    case 'tensorflow':
    case 'tf':
      return [requirementSets.tensorflow];
    case 'tensorflow-transformers':
    case 'tf-transformers':
      return [requirementSets['tensorflow-transformers']];
    default:
      throw new RangeError(`Unknown environment "${name}": expected pytorch, tensorflow, tensorflow-transformers or all.`);
  }
}
