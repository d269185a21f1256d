import { describeAccuracyBudget } from './describe-accuracy-budget';

describe('describeAccuracyBudget', () => {
  it('names what each variant kept in fp32, largest cost first, with the total and the --min-cosine knob', () => {
    const lines = describeAccuracyBudget({
      variants: [
        { name: 'optimize-O2', phase: 'optimize', files: ['onnx/model_optimized.onnx'], notes: [] },
        {
          name: 'quantize-int8',
          phase: 'quantize',
          files: ['onnx/model_int8.onnx'],
          notes: [],
          details: {
            model: {
              keptInFloatCosts: [
                { name: '/encoder/layer.0/MatMul', opType: 'MatMul', floatWeightBytes: 4096, extraBytes: 3072 },
                { name: '/embeddings/Gather', opType: 'Gather', floatWeightBytes: 46.875 * 1024 ** 2, extraBytes: 35.15625 * 1024 ** 2 },
              ],
            },
          },
        },
        { name: 'quantize-q4', phase: 'quantize', files: ['onnx/model_q4.onnx'], notes: [], details: { model: { keptInFloatCosts: [] } } },
      ],
    });
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^quantize-int8 kept 2 nodes in fp32 to stay within its accuracy budget \(\+35\.2 MiB\): embedding table \/embeddings\/Gather \(46\.9 MiB fp32, \+35\.2 MiB\), MatMul \/encoder\/layer\.0\/MatMul \(4\.0 KiB fp32, \+3\.0 KiB\)\.$/);
    expect(lines[1]).toContain('--min-cosine');
  });

  it('skips a variant that failed validation and was left out', () => {
    const variants = [{ name: 'quantize-int8', phase: 'quantize' as const, files: ['onnx/model_int8.onnx'], notes: [], details: { model: { keptInFloatCosts: [{ name: 'g', opType: 'Gather', floatWeightBytes: 4096, extraBytes: 3072 }] } } }];
    expect(describeAccuracyBudget({ variants, validation: [{ path: 'onnx/model_int8.onnx', variant: 'quantize-int8', status: 'failed' }] })).toEqual([]);
    expect(describeAccuracyBudget({ variants, validation: [{ path: 'onnx/model_int8.onnx', variant: 'quantize-int8', status: 'passed' }] })).toHaveLength(2);
  });

  it('says nothing when no variant kept a node in float', () => {
    expect(describeAccuracyBudget({ variants: [{ name: 'quantize-int8', phase: 'quantize', files: [], notes: [], details: { model: { keptInFloat: [] } } }] })).toEqual([]);
  });
});
