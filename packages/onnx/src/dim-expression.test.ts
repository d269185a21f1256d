import { dimExpressionNames, evaluateDimExpression, isDimExpression } from './dim-expression';

describe('evaluateDimExpression', () => {
  it.each([
    ['past_sequence_length + sequence_length', 11],
    ['2*s0', 8],
    ['s0 - 1', 3],
    ['(s0 + 2) // 3', 2],
    ['sequence_length - s0 + 1', 1],
  ])('%s = %d', (expression, value) => {
    expect(evaluateDimExpression(expression, { past_sequence_length: 7, sequence_length: 4, s0: 4 })).toBe(value);
  });

  it('is undefined for unknown names, other operators and negative results', () => {
    expect(evaluateDimExpression('a + unknown', { a: 1 })).toBeUndefined();
    expect(evaluateDimExpression('a ** 2', { a: 1 })).toBeUndefined();
    expect(evaluateDimExpression('a - 5', { a: 1 })).toBeUndefined();
    expect(evaluateDimExpression('a // b', { a: 4, b: 0 })).toBeUndefined();
    expect(evaluateDimExpression('(a + 1', { a: 1 })).toBeUndefined();
  });

  it('takes sizes from a function, asked once per name it meets', () => {
    const asked: string[] = [];
    const sizeOf = (name: string): number | undefined => {
      asked.push(name);
      return name === 'unknown' ? undefined : name.length;
    };
    expect(evaluateDimExpression('abc + 2*de', sizeOf)).toBe(7);
    expect(asked).toEqual(['abc', 'de']);
    expect(evaluateDimExpression('abc + unknown', sizeOf)).toBeUndefined();
  });

  it('reads a name with a hyphen and no blanks as one name, and a plain name as its own size', () => {
    expect(evaluateDimExpression('seq-len', { 'seq-len': 6, seq: 9, len: 2 })).toBe(6);
    expect(evaluateDimExpression('seq-len - 1', { 'seq-len': 6 })).toBe(5);
    expect(evaluateDimExpression('seq', { seq: 9 })).toBe(9);
  });
});

describe('isDimExpression and dimExpressionNames', () => {
  it('tell an expression from a plain name and list its names once each', () => {
    expect(['past_sequence_length + sequence_length', '2*s0', 's1 - 1', '(s0 + 2) // 3'].map(isDimExpression)).toEqual([true, true, true, true]);
    expect(['batch_size', 'seq-len', 'unk__12', '(a)'].map(isDimExpression)).toEqual([false, false, false, false]);
    expect(dimExpressionNames('a + 2*b - a')).toEqual(['a', 'b']);
    expect(dimExpressionNames('seq-len + 1')).toEqual(['seq-len']);
    expect(dimExpressionNames('batch_size')).toEqual(['batch_size']);
  });
});
