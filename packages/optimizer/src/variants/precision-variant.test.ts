import { PRECISION_VARIANTS, parsePrecisionVariants } from './precision-variant';

describe('parsePrecisionVariants', () => {
  it('reads a comma list into distinct variants in the order given, ignoring case and spaces', () => {
    expect(parsePrecisionVariants('INT8, fp16,int8')).toEqual(['int8', 'fp16']);
    expect(parsePrecisionVariants('q4,,uint8')).toEqual(['q4', 'uint8']);
    expect(PRECISION_VARIANTS.map((variant) => parsePrecisionVariants(variant)[0])).toEqual([...PRECISION_VARIANTS]);
  });

  it('throws a RangeError naming an unknown entry, and for a list that names none', () => {
    expect(() => parsePrecisionVariants('int8,int3')).toThrow(RangeError);
    expect(() => parsePrecisionVariants('int8,int3')).toThrow(/received "int3"/);
    expect(() => parsePrecisionVariants('static-int8')).toThrow(/received "static-int8"/);
    expect(() => parsePrecisionVariants(' , ')).toThrow(/at least one of int8, uint8, q8, fp16, q4/);
  });
});
