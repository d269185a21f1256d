import type { PythonRequirementSet } from '@gpux/converter-core';
import { pytorchRequirements } from '@gpux/pytorch-adapter';
import { tensorflowRequirements } from '@gpux/tf-adapter';

/** The managed Python environments, by the name `gpux-convert setup` takes. */
export const requirementSets: Record<'pytorch' | 'tensorflow', PythonRequirementSet> = {
  pytorch: pytorchRequirements,
  tensorflow: tensorflowRequirements,
};

/** Resolves `pytorch`, `tensorflow` or `all` (also `pt`, `tf`) to requirement sets. */
export function selectRequirementSets(name: string): PythonRequirementSet[] {
  switch (name.toLowerCase()) {
    case 'all':
      return [requirementSets.pytorch, requirementSets.tensorflow];
    case 'pytorch':
    case 'pt':
    case 'torch':
      return [requirementSets.pytorch];
    case 'tensorflow':
    case 'tf':
      return [requirementSets.tensorflow];
    default:
      throw new RangeError(`Unknown environment "${name}": expected pytorch, tensorflow or all.`);
  }
}
