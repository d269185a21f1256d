import path from 'node:path';
import type { PythonRequirementSet } from '@gpux/converter-core';
import { resolvePackageDirectory } from '@gpux/converter-core';
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
 * The GPUX runtime (`gpux` 0.1.1 from PyPI with its dependencies, pinned), the Python runtime that
 * gpux.yml is written for. Not a conversion environment: `setup gpux` builds it on request (and the
 * test suite runs `gpux build` / `gpux run` from it); `setup all` and `doctor` leave it out.
 */
export const gpuxRuntimeRequirements: PythonRequirementSet = {
  name: 'gpux-runtime',
  get requirementsFile(): string {
    return path.join(resolvePackageDirectory(__dirname, '@gpux/cli'), 'python', 'gpux-runtime', 'requirements.txt');
  },
};

/**
 * Resolves `pytorch`, `tensorflow`, `tensorflow-transformers` or `all` (also `pt`, `torch`, `tf`,
 * `tf-transformers`) to requirement sets, and `gpux` (`gpux-runtime`) to the GPUX runtime's.
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
    case 'gpux':
    case 'gpux-runtime':
      return [gpuxRuntimeRequirements];
    default:
      throw new RangeError(`Unknown environment "${name}": expected pytorch, tensorflow, tensorflow-transformers, all or gpux (the GPUX runtime).`);
  }
}
