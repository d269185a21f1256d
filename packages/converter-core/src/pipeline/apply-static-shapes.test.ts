import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { inspectOnnxModel, loadOnnxModel, makeGraph, makeModel, makeNode, makeValueInfo, saveOnnxModel, type ModelProto } from '@gpux/onnx';
import { loadOnnxRuntime } from '../runtime/load-onnx-runtime';
import { describeSymbolicDims, fixSymbolicDimsInFile } from './apply-static-shapes';

/** y = Concat(x, past) along axis 1: inputs [batch, seq] and [batch, past], output [batch, past + seq]. */
function concatModel(): ModelProto {
  return makeModel(
    makeGraph(
      [makeNode('Concat', ['past', 'x'], ['y'], { attributes: { axis: 1 } }), makeNode('Identity', ['y'], ['z'])],
      'concat',
      [makeValueInfo('x', 'float32', ['batch_size', 'sequence_length']), makeValueInfo('past', 'float32', ['batch_size', 'past_sequence_length'])],
      [makeValueInfo('z', 'float32', ['batch_size', 'past_sequence_length + sequence_length'])],
      { valueInfo: [makeValueInfo('y', 'float32', ['batch_size', 'past_sequence_length + sequence_length'])] },
    ),
  );
}

describe('fixSymbolicDimsInFile', () => {
  let scratch: string;
  beforeEach(async () => {
    scratch = await mkdtemp(path.join(os.tmpdir(), 'gpux-static-'));
  });
  afterEach(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('rewrites the file in place, leaves no scratch folder, and onnxruntime then reports static inputs and refuses other sizes', async () => {
    const file = path.join(scratch, 'model.onnx');
    await saveOnnxModel(concatModel(), file);
    const fixed = await fixSymbolicDimsInFile(file, { batch_size: 1, sequence_length: 2, past_sequence_length: 3 });
    expect(fixed.inputs).toEqual([
      { name: 'x', dtype: 'float32', shape: [1, 2] },
      { name: 'past', dtype: 'float32', shape: [1, 3] },
    ]);
    expect(fixed.outputs).toEqual([{ name: 'z', dtype: 'float32', shape: [1, 5] }]);
    expect(await readdir(scratch)).toEqual(['model.onnx']);
    const inspection = await inspectOnnxModel(await loadOnnxModel(file), { path: file });
    expect(inspection.inputs.map((input) => input.dims)).toEqual([[1, 2], [1, 3]]);
    const ort = loadOnnxRuntime();
    const session = await ort.InferenceSession.create(file);
    const result = await session.run({ x: new ort.Tensor('float32', new Float32Array([1, 2]), [1, 2]), past: new ort.Tensor('float32', new Float32Array([7, 8, 9]), [1, 3]) });
    expect(Array.from(result.z!.data as Float32Array)).toEqual([7, 8, 9, 1, 2]);
    await expect(session.run({ x: new ort.Tensor('float32', new Float32Array(4), [2, 2]), past: new ort.Tensor('float32', new Float32Array(6), [2, 3]) })).rejects.toThrow();
    await session.release();
  });
});

describe('describeSymbolicDims', () => {
  it('lists the plain symbolic names once each, leaving out expressions and static dims', () => {
    expect(describeSymbolicDims([{ shape: ['batch_size', 'sequence_length'] }, { shape: ['batch_size', 'past_sequence_length + sequence_length', 6, 'seq-len'] }])).toBe('batch_size, sequence_length, seq-len');
    expect(describeSymbolicDims([{ shape: [1, 'a + 1'] }])).toBe('none (the inputs are already static)');
  });
});
