import fs from 'node:fs';
import { TEST_PYTHON_SETS } from '@gpux/test-helpers';
import { tensorflowTransformersRequirements } from '@gpux/tf-adapter';

import { gpuxRuntimeRequirements, requirementSets, selectRequirementSets } from './requirement-sets';

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

  it('resolves gpux to the pinned GPUX runtime environment, which `all` leaves out', () => {
    const [gpux] = selectRequirementSets('gpux');
    expect(gpux).toBe(gpuxRuntimeRequirements);
    expect(gpux?.name).toBe('gpux-runtime');
    expect(fs.readFileSync(gpuxRuntimeRequirements.requirementsFile, 'utf8')).toMatch(/^gpux==0\.1\.1$/m);
    expect(selectRequirementSets('all')).not.toContain(gpuxRuntimeRequirements);
  });

  it("matches the sets the tests' findTestPython builds (test-helpers' TEST_PYTHON_SETS), so tests and setup share environments", () => {
    for (const set of [...Object.values(requirementSets), gpuxRuntimeRequirements]) {
      const testSet = TEST_PYTHON_SETS[set.name as keyof typeof TEST_PYTHON_SETS];
      expect({ name: testSet?.name, requirementsFile: testSet?.requirementsFile }).toEqual({ name: set.name, requirementsFile: set.requirementsFile });
    }
  });

  it('throws a RangeError naming the choices for an unknown name', () => {
    expect(() => selectRequirementSets('jax')).toThrow(RangeError);
    expect(() => selectRequirementSets('jax')).toThrow('expected pytorch, tensorflow, tensorflow-transformers, all or gpux');
  });
});
