import { tensorflowTransformersRequirements } from '@gpux/tf-adapter';

import { requirementSets, selectRequirementSets } from './requirement-sets';

describe('requirement sets', () => {
  it('lists the three managed environments, and `all` selects each of them once', () => {
    expect(Object.keys(requirementSets)).toEqual(['pytorch', 'tensorflow', 'tensorflow-transformers']);
    expect(selectRequirementSets('all').map((set) => set.name)).toEqual(['pytorch', 'tensorflow', 'tensorflow-transformers']);
  });

  it('resolves tensorflow-transformers and its alias to the tf-adapter set for tf_model.h5 folders', () => {
    expect(selectRequirementSets('tensorflow-transformers')).toEqual([tensorflowTransformersRequirements]);
    expect(selectRequirementSets('TF-Transformers')).toEqual([tensorflowTransformersRequirements]);
    expect(tensorflowTransformersRequirements.requirementsFile).toMatch(/requirements-transformers\.txt$/);
    expect(selectRequirementSets('tf').map((set) => set.name)).toEqual(['tensorflow']);
  });

  it('throws a RangeError naming the choices for an unknown name', () => {
    expect(() => selectRequirementSets('jax')).toThrow(RangeError);
    expect(() => selectRequirementSets('jax')).toThrow('expected pytorch, tensorflow, tensorflow-transformers or all');
  });
});
