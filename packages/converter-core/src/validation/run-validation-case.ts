import type { InferenceSession } from 'onnxruntime-node';
import { hostTensorToOrt, ortTensorToHost } from '../runtime/ort-tensor-conversion';
import { float32ToFloat16 } from '../tensor/float16-to-float32';
import type { HostTensor } from '../tensor/host-tensor';
import { compareTensors, tensorToFloat64 } from './compare-tensors';
import { parseOnnxRuntimeFailure } from './onnxruntime-failure';
import type { CaseValidation } from './validation-report';
import type { ResolvedValidationTolerances } from './validation-tolerances';

/** Casts a float input to the float type a session expects (fp16 variants take float16 inputs). */
function castFeed(tensor: HostTensor, expected: string | undefined): HostTensor {
  if (expected === undefined || expected === tensor.dtype) return tensor;
  if (expected === 'float16' && tensor.dtype.startsWith('float')) return { dtype: 'float16', shape: tensor.shape, data: float32ToFloat16(tensorToFloat64(tensor)) };
  if (expected === 'float32' && tensor.dtype.startsWith('float')) return { dtype: 'float32', shape: tensor.shape, data: Float32Array.from(tensorToFloat64(tensor)) };
  return tensor;
}

/**
 * Runs a session on one case's inputs and returns its numeric outputs as host tensors. String
 * outputs (a classifier's label table) are left out: validation compares numbers, and the Python
 * side writes no reference values for them either.
 */
export async function runSession(session: InferenceSession, inputs: Record<string, HostTensor>): Promise<Record<string, HostTensor>> {
  const feeds: Record<string, ReturnType<typeof hostTensorToOrt>> = {};
  for (const metadata of session.inputMetadata) {
    const tensor = inputs[metadata.name];
    if (tensor === undefined) throw new Error(`the model input "${metadata.name}" has no value in this case (case inputs: ${Object.keys(inputs).join(', ') || 'none'})`);
    feeds[metadata.name] = hostTensorToOrt(castFeed(tensor, metadata.isTensor ? metadata.type : undefined));
  }
  const results = await session.run(feeds);
  const outputs: Record<string, HostTensor> = {};
  for (const [name, value] of Object.entries(results)) {
    if (value.type !== 'string') outputs[name] = ortTensorToHost(value);
    value.dispose();
  }
  return outputs;
}

/**
 * Runs one case and compares every reference output. A session that cannot run or an output the
 * model does not produce makes the case fail (it does not throw).
 */
export async function runValidationCase(
  session: InferenceSession,
  label: string,
  inputs: Record<string, HostTensor>,
  referenceOutputs: Record<string, HostTensor> | (() => Promise<Record<string, HostTensor>>),
  tolerances: ResolvedValidationTolerances,
): Promise<CaseValidation> {
  let actual: Record<string, HostTensor>;
  try {
    actual = await runSession(session, inputs);
  } catch (error) {
    const failure = parseOnnxRuntimeFailure(error);
    return {
      label,
      passed: false,
      failure: `onnxruntime could not run the model: ${failure.message}`,
      ...(failure.node === undefined ? {} : { failedNode: failure.node }),
      outputs: [],
    };
  }
  const expected = typeof referenceOutputs === 'function' ? await referenceOutputs() : referenceOutputs;
  const outputs = [];
  const missing: string[] = [];
  for (const [name, reference] of Object.entries(expected)) {
    const value = actual[name];
    if (value === undefined) missing.push(name);
    else outputs.push(compareTensors(name, value, reference, tolerances));
  }
  const failure = missing.length > 0 ? `the model has no output named ${missing.map((name) => `"${name}"`).join(', ')} (it has ${Object.keys(actual).join(', ')})` : undefined;
  return {
    label,
    passed: failure === undefined && outputs.every((output) => output.passed),
    ...(failure === undefined ? {} : { failure }),
    outputs,
  };
}
