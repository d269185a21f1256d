import type { TensorElementType, TensorSpec } from '../adapter';
import { inspectOnnxModel, loadOnnxModel, type OnnxValueSummary } from '@gpux/onnx';

/** The inputs and outputs of an ONNX file as {@link TensorSpec}s. */
export interface ModelInterface {
  inputs: TensorSpec[];
  outputs: TensorSpec[];
}

function toSpec(value: OnnxValueSummary, known: readonly TensorSpec[]): TensorSpec {
  const fallback = known.find((spec) => spec.name === value.name);
  const shape = (value.dims ?? fallback?.shape ?? []).map((dim, index) => dim ?? fallback?.shape[index] ?? `unknown_${index}`);
  return { name: value.name, dtype: (value.elementType ?? fallback?.dtype ?? value.kind) as TensorElementType, shape };
}

/**
 * Reads the graph inputs and outputs of an ONNX file (element types, fixed and symbolic dims), as
 * the file declares them: an fp16 variant reports `float16`, a fused graph its own IO. Dims the
 * file leaves unnamed take the matching dim of `known` (the exported file's IO), else `unknown_<axis>`.
 * External data is not read.
 *
 * @throws ConversionError `INVALID_MODEL_FILE` when the file cannot be decoded.
 * @example
 * ```ts
 * const { inputs } = await inspectModelInterface('out/onnx/model_fp16.onnx');
 * console.log(inputs.map((input) => `${input.name}: ${input.dtype}`));
 * ```
 */
export async function inspectModelInterface(modelPath: string, known: ModelInterface = { inputs: [], outputs: [] }): Promise<ModelInterface> {
  const inspection = await inspectOnnxModel(await loadOnnxModel(modelPath), { path: modelPath });
  return {
    inputs: inspection.inputs.map((value) => toSpec(value, known.inputs)),
    outputs: inspection.outputs.map((value) => toSpec(value, known.outputs)),
  };
}
