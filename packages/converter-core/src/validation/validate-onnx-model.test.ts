import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ReferenceCase, TensorSpec } from '../adapter';
import { ConversionError } from '../conversion-error';
import type { HostTensor } from '../tensor/host-tensor';
import { writeNpy } from '../tensor/write-npy';
import { compareOnnxModels } from './compare-onnx-models';
import { defaultValidationDims, describeDims } from './default-validation-dims';
import { generateInputs } from './generate-inputs';
import { linearModel, linearReference, writeTestOnnxModel, type TestModel } from './test-support/build-test-onnx-model';
import { validateOnnxModel } from './validate-onnx-model';
import type { ValidationReport } from './validation-report';

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), 'gpux-validate-'));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

async function writeModel(name: string, model: TestModel): Promise<string> {
  const file = path.join(directory, `${name}.onnx`);
  await writeTestOnnxModel(file, model);
  return file;
}

let caseCounter = 0;
async function writeCase(label: string, inputs: Record<string, HostTensor>, outputs: Record<string, HostTensor>): Promise<ReferenceCase> {
  caseCounter += 1;
  const caseNumber = caseCounter;
  const files = async (tensors: Record<string, HostTensor>, kind: string) => {
    const entries = await Promise.all(
      Object.entries(tensors).map(async ([name, tensor]) => {
        const file = path.join(directory, `case${caseNumber}-${kind}-${name}.npy`);
        await writeNpy(file, tensor);
        return [name, { path: file, dtype: tensor.dtype, shape: tensor.shape }] as const;
      }),
    );
    return Object.fromEntries(entries);
  };
  return { modelName: 'model', label, inputs: await files(inputs, 'in'), outputs: await files(outputs, 'out') };
}

const x = Float32Array.from([1, 2, 3, 4, -1, 0.5, 2, -3]);
const f32 = (shape: number[], data: Float32Array): HostTensor => ({ dtype: 'float32', shape, data });

describe('validateOnnxModel', () => {
  it('passes when the ONNX outputs match the reference, with the metrics filled in', async () => {
    const modelPath = await writeModel('linear', linearModel());
    const referenceCase = await writeCase('batch_size=2', { x: f32([2, 4], x) }, { logits: f32([2, 3], linearReference(x, 2)) });
    const report = await validateOnnxModel({ modelPath, cases: [referenceCase] });
    expect(report.passed).toBe(true);
    const output = report.cases[0]!.outputs[0]!;
    expect(output).toMatchObject({ name: 'logits', shape: [2, 3], referenceShape: [2, 3], mismatchCount: 0, nanCount: 0, infCount: 0, argmaxAgreement: 1, passed: true });
    expect(output.maxAbsDiff!).toBeLessThan(1e-5);
    expect(output.cosineSimilarity!).toBeCloseTo(1, 6);
    expect(report.tolerances).toEqual({ atol: 1e-4, rtol: 1e-3 });
  });

  it('fails with VALIDATION_FAILED and the right numbers when the reference is perturbed', async () => {
    const modelPath = await writeModel('linear', linearModel());
    const exact = linearReference(x, 2);
    const perturbed = Float32Array.from(exact);
    perturbed[1] = (perturbed[1] as number) + 5; // row 0: 8.1, 10.05, -5.95 -> argmax moves from 0 to 1
    perturbed[4] = (perturbed[4] as number) + 0.01;
    const referenceCase = await writeCase('perturbed', { x: f32([2, 4], x) }, { logits: f32([2, 3], perturbed) });
    const error = await validateOnnxModel({ modelPath, cases: [referenceCase] }).catch((caught: unknown) => caught);
    expect(ConversionError.hasCode(error, 'VALIDATION_FAILED')).toBe(true);
    const report = (error as ConversionError).details.report as ValidationReport;
    const output = report.cases[0]!.outputs[0]!;
    const expectedRelative = Math.max(5 / Math.abs(perturbed[1]), 0.01 / Math.abs(perturbed[4]));
    expect(output.maxAbsDiff!).toBeCloseTo(5, 5);
    expect(output.maxRelDiff!).toBeCloseTo(expectedRelative, 5);
    expect(output.mismatchCount).toBe(2);
    expect(output.argmaxAgreement).toBe(0.5);
    expect(output.passed).toBe(false);
    expect((error as Error).message).toContain('2 of 6 elements differ');
    expect((error as Error).message).toContain('flat index 1');
  });

  it('counts NaN in the ONNX output and fails unless the reference has NaN at the same place', async () => {
    const modelPath = await writeModel('sqrt', {
      inputs: [{ name: 'x', dtype: 'float32', shape: [4] }],
      outputs: [{ name: 'y', dtype: 'float32', shape: [4] }],
      nodes: [{ opType: 'Sqrt', inputs: ['x'], outputs: ['y'] }],
    });
    const input = Float32Array.from([4, -1, 9, 0.25]);
    const finiteReference = await writeCase('finite', { x: f32([4], input) }, { y: f32([4], Float32Array.from([2, 1, 3, 0.5])) });
    const nanReference = await writeCase('nan', { x: f32([4], input) }, { y: f32([4], Float32Array.from([2, Number.NaN, 3, 0.5])) });
    const report = await validateOnnxModel({ modelPath, cases: [finiteReference, nanReference], throwOnFailure: false });
    expect(report.passed).toBe(false);
    expect(report.cases.map((entry) => entry.passed)).toEqual([false, true]);
    expect(report.cases[0]!.outputs[0]).toMatchObject({ nanCount: 1, mismatchCount: 1, maxAbsDiff: 0 });
    expect(report.cases[0]!.outputs[0]!.failure).toContain('1 NaN');
    expect(report.cases[1]!.outputs[0]).toMatchObject({ nanCount: 1, mismatchCount: 0 });
  });

  it('reports a shape mismatch and a missing output clearly', async () => {
    const modelPath = await writeModel('linear', linearModel());
    const wrongShape = await writeCase('shape', { x: f32([2, 4], x) }, { logits: f32([3, 2], linearReference(x, 2)) });
    const missing = await writeCase('missing', { x: f32([2, 4], x) }, { hidden: f32([2, 3], linearReference(x, 2)) });
    const report = await validateOnnxModel({ modelPath, cases: [wrongShape, missing], throwOnFailure: false });
    expect(report.cases[0]!.outputs[0]).toMatchObject({ passed: false, shape: [2, 3], referenceShape: [3, 2], maxAbsDiff: null });
    expect(report.cases[0]!.outputs[0]!.failure).toContain('shape [2, 3] differs from the reference shape [3, 2]');
    expect(report.cases[1]!.failure).toContain('no output named "hidden"');
  });

  it('catches a size baked into the graph by validating two sizes of each dynamic axis', async () => {
    // Declares a dynamic sequence_length but slices it to a fixed 8.
    const modelPath = await writeModel('baked', {
      inputs: [{ name: 'x', dtype: 'float32', shape: ['batch_size', 'sequence_length'] }],
      outputs: [{ name: 'y', dtype: 'float32', shape: ['batch_size', 'sequence_length'] }],
      initializers: [
        { name: 'starts', dtype: 'int64', shape: [1], values: [0] },
        { name: 'ends', dtype: 'int64', shape: [1], values: [8] },
        { name: 'axes', dtype: 'int64', shape: [1], values: [1] },
      ],
      nodes: [{ opType: 'Slice', inputs: ['x', 'starts', 'ends', 'axes'], outputs: ['y'] }],
    });
    const specs: TensorSpec[] = [{ name: 'x', dtype: 'float32', shape: ['batch_size', 'sequence_length'] }];
    const cases = await Promise.all(
      defaultValidationDims(specs).map(async (dims, index) => {
        const inputs = generateInputs(specs, { dims, seed: index });
        return writeCase(describeDims(dims), inputs, { y: inputs.x! });
      }),
    );
    const report = await validateOnnxModel({ modelPath, cases, throwOnFailure: false });
    expect(report.cases.map((entry) => [entry.label, entry.passed])).toEqual([
      ['batch_size=1, sequence_length=8', true],
      ['batch_size=3, sequence_length=17', false],
    ]);
    expect(report.cases[1]!.outputs[0]!.failure).toContain('shape [3, 8] differs from the reference shape [3, 17]');
  });

  it('throws CANCELLED for an aborted signal', async () => {
    const modelPath = await writeModel('linear', linearModel());
    const controller = new AbortController();
    controller.abort();
    await expect(validateOnnxModel({ modelPath, cases: [], signal: controller.signal })).rejects.toMatchObject({ code: 'CANCELLED' });
  });
});

describe('compareOnnxModels', () => {
  it('passes a model against itself on generated inputs at two batch sizes', async () => {
    const modelPath = await writeModel('linear', linearModel());
    const events: string[] = [];
    const report = await compareOnnxModels({ referenceModelPath: modelPath, candidateModelPath: modelPath, onProgress: (event) => events.push(event.type) });
    expect(report.passed).toBe(true);
    expect(report.cases.map((entry) => entry.label)).toEqual(['batch_size=1', 'batch_size=3']);
    expect(report.cases[1]!.outputs[0]!.shape).toEqual([3, 3]);
    expect(report.cases[1]!.outputs[0]!.maxAbsDiff).toBe(0);
    expect(events).toEqual(['percent', 'percent']);
  });

  it('fails a candidate whose bias differs, with the difference as max abs diff', async () => {
    const referenceModelPath = await writeModel('reference', linearModel());
    const candidateModelPath = await writeModel('candidate', linearModel([0.1, -0.2, 0.55]));
    const inputs = [{ label: 'explicit', inputs: { x: f32([2, 4], x) } }];
    const error = await compareOnnxModels({ referenceModelPath, candidateModelPath, inputs }).catch((caught: unknown) => caught);
    expect(ConversionError.hasCode(error, 'VALIDATION_FAILED')).toBe(true);
    const output = ((error as ConversionError).details.report as ValidationReport).cases[0]!.outputs[0]!;
    expect(output.maxAbsDiff!).toBeCloseTo(0.25, 6);
    expect(output.mismatchCount).toBe(2);
    const loose = await compareOnnxModels({ referenceModelPath, candidateModelPath, inputs, tolerances: { atol: 0.3, minCosineSimilarity: 0.99 } });
    expect(loose.passed).toBe(true);
    expect(loose.reference).toBe(referenceModelPath);
  });

  it('turns onnxruntime failing on the inputs into VALIDATION_FAILED naming the node (reference) or a failed case (candidate)', async () => {
    // GatherND over a [4] tensor: index 4 is out of range, as a decoder mask shorter than past + new tokens makes it.
    const gatherModel: TestModel = {
      inputs: [{ name: 'indices', dtype: 'int64', shape: [1, 1] }],
      outputs: [{ name: 'y', dtype: 'float32', shape: [1] }],
      initializers: [{ name: 'data', dtype: 'float32', shape: [4], values: [1, 2, 3, 4] }],
      nodes: [{ opType: 'GatherND', inputs: ['data', 'indices'], outputs: ['y'] }],
    };
    const gatherPath = await writeModel('gather', gatherModel);
    const inputs = [{ label: 'out of range', inputs: { indices: { dtype: 'int64', shape: [1, 1], data: BigInt64Array.from([4n]) } as HostTensor } }];
    const error = await compareOnnxModels({ referenceModelPath: gatherPath, candidateModelPath: gatherPath, inputs, throwOnFailure: false }).catch((caught: unknown) => caught);
    expect(ConversionError.hasCode(error, 'VALIDATION_FAILED')).toBe(true);
    expect((error as ConversionError).details).toMatchObject({ node: 'GatherND_0', opType: 'GatherND', case: 'out of range' });
    expect((error as ConversionError).message).toMatch(/at node GatherND_0 \(GatherND\).*indices\[1x1\].*invalid index/);

    // The reference runs; the candidate (same graph, smaller data) cannot: a failed case with the node.
    const smallerPath = await writeModel('gather-small', { ...gatherModel, initializers: [{ name: 'data', dtype: 'float32', shape: [2], values: [1, 2] }] });
    const inRange = [{ label: 'index 3', inputs: { indices: { dtype: 'int64', shape: [1, 1], data: BigInt64Array.from([3n]) } as HostTensor } }];
    const report = await compareOnnxModels({ referenceModelPath: gatherPath, candidateModelPath: smallerPath, inputs: inRange, throwOnFailure: false });
    expect(report.passed).toBe(false);
    expect(report.cases[0]?.failedNode).toBe('GatherND_0');
    expect(report.cases[0]?.failure).toMatch(/^onnxruntime could not run the model: .*GatherND/);
  });
});
