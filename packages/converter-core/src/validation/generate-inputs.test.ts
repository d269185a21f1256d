import type { TensorSpec } from '../adapter';
import { defaultValidationDims } from './default-validation-dims';
import { generateInputs, resolveShape } from './generate-inputs';

const textInputs: TensorSpec[] = [
  { name: 'input_ids', dtype: 'int64', shape: ['batch_size', 'sequence_length'] },
  { name: 'attention_mask', dtype: 'int64', shape: ['batch_size', 'sequence_length'] },
  { name: 'token_type_ids', dtype: 'int64', shape: ['batch_size', 'sequence_length'] },
  { name: 'position_ids', dtype: 'int64', shape: ['batch_size', 'sequence_length'] },
];

describe('defaultValidationDims', () => {
  it('gives two different sizes for batch and sequence, and keeps image sizes as configured', () => {
    expect(defaultValidationDims(textInputs)).toEqual([
      { batch_size: 1, sequence_length: 8 },
      { batch_size: 3, sequence_length: 17 },
    ]);
    const image: TensorSpec[] = [{ name: 'pixel_values', dtype: 'float32', shape: ['batch', 'num_channels', 'height', 'width'] }];
    expect(defaultValidationDims(image, { imageSize: 224 })).toEqual([
      { batch: 1, num_channels: 3, height: 224, width: 224 },
      { batch: 3, num_channels: 3, height: 224, width: 224 },
    ]);
  });
});

describe('derived dims (decoder with past)', () => {
  const decoderInputs: TensorSpec[] = [
    { name: 'input_ids', dtype: 'int64', shape: ['batch_size', 'sequence_length'] },
    { name: 'attention_mask', dtype: 'int64', shape: ['batch_size', 'past_sequence_length + sequence_length'] },
    { name: 'past_key_values.0.key', dtype: 'float32', shape: ['batch_size', 2, 'past_sequence_length', 8] },
  ];

  it('sizes `past_sequence_length + sequence_length` as the sum of its parts', () => {
    expect(defaultValidationDims(decoderInputs)).toEqual([
      { batch_size: 1, sequence_length: 8, past_sequence_length: 4, 'past_sequence_length + sequence_length': 12 },
      { batch_size: 3, sequence_length: 17, past_sequence_length: 9, 'past_sequence_length + sequence_length': 26 },
    ]);
    const inputs = generateInputs(decoderInputs, { dims: { batch_size: 2, sequence_length: 5, past_sequence_length: 3 } });
    expect(inputs.attention_mask!.shape).toEqual([2, 8]);
    expect(inputs['past_key_values.0.key']!.shape).toEqual([2, 2, 3, 8]);
  });

  it('sizes any dim expression the exporters write from its parts, and a hyphenated name as one dim', () => {
    const specs: TensorSpec[] = [{ name: 'x', dtype: 'float32', shape: ['batch', 's0', '2*s0', '(s0 + 2) // 3', 'seq-len'] }];
    expect(defaultValidationDims(specs)).toEqual([
      { batch: 1, s0: 8, 'seq-len': 8, '2*s0': 16, '(s0 + 2) // 3': 3 },
      { batch: 3, s0: 17, 'seq-len': 17, '2*s0': 34, '(s0 + 2) // 3': 6 },
    ]);
    // Unsized parts take their role's size (s0: sequence, 8); a negative result falls back to the dim's own role.
    expect(resolveShape(specs[0]!, { batch: 2 })).toEqual([2, 8, 16, 3, 8]);
    expect(resolveShape({ name: 'y', dtype: 'float32', shape: ['b - a + 1', 'a - b'] }, { a: 4, b: 9 })).toEqual([6, 2]);
  });
});

describe('generateInputs', () => {
  it('creates token ids inside the vocabulary, padded masks, zero token types and arange positions', () => {
    const inputs = generateInputs(textInputs, { dims: { batch_size: 3, sequence_length: 6 }, vocabSize: 7, seed: 3 });
    const ids = Array.from(inputs.input_ids!.data as BigInt64Array, Number);
    expect(inputs.input_ids!.shape).toEqual([3, 6]);
    expect(ids.every((id) => id >= 0 && id < 7)).toBe(true);
    expect(new Set(ids).size).toBeGreaterThan(3);
    expect(Array.from(inputs.attention_mask!.data as BigInt64Array, Number)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0]);
    expect(Array.from(inputs.token_type_ids!.data as BigInt64Array, Number).every((value) => value === 0)).toBe(true);
    expect(Array.from(inputs.position_ids!.data as BigInt64Array, Number).slice(0, 7)).toEqual([0, 1, 2, 3, 4, 5, 0]);
  });

  it('is deterministic for a seed and differs between seeds; floats look standard-normal', () => {
    const specs: TensorSpec[] = [{ name: 'pixel_values', dtype: 'float32', shape: [2, 3, 32, 32] }];
    const first = generateInputs(specs, { seed: 1 }).pixel_values!.data as Float32Array;
    expect(generateInputs(specs, { seed: 1 }).pixel_values!.data).toEqual(first);
    expect(generateInputs(specs, { seed: 2 }).pixel_values!.data).not.toEqual(first);
    const mean = first.reduce((sum, value) => sum + value, 0) / first.length;
    const variance = first.reduce((sum, value) => sum + (value - mean) ** 2, 0) / first.length;
    expect(Math.abs(mean)).toBeLessThan(0.1);
    expect(variance).toBeGreaterThan(0.8);
    expect(variance).toBeLessThan(1.2);
  });

  it('fills bool and float16 inputs with the right typed arrays and rejects negative dims', () => {
    const inputs = generateInputs(
      [
        { name: 'flags', dtype: 'bool', shape: [4] },
        { name: 'features', dtype: 'float16', shape: ['n', 2] },
      ],
      { dims: { n: 3 } },
    );
    expect(inputs.flags!.data).toBeInstanceOf(Uint8Array);
    expect(Array.from(inputs.flags!.data as Uint8Array).every((value) => value === 0 || value === 1)).toBe(true);
    expect(inputs.features).toMatchObject({ dtype: 'float16', shape: [3, 2] });
    expect(inputs.features!.data).toBeInstanceOf(Uint16Array);
    expect(() => generateInputs([{ name: 'x', dtype: 'float32', shape: ['n'] }], { dims: { n: -1 } })).toThrow(RangeError);
  });
});
