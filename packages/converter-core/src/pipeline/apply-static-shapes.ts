import { mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { ExportResult, ReferenceCase, TensorSpec } from '../adapter';
import { ConversionError } from '../conversion-error';
import { evaluateDimExpression, fixSymbolicDims, inspectOnnxModel, isDimExpression, loadOnnxModel, saveOnnxModel, type FixSymbolicDimsResult } from '@gpux/onnx';
import { symbolicDimNames } from '../validation/default-validation-dims';

/** What {@link fixSymbolicDimsInFile} wrote. */
export interface FixedModelFile extends FixSymbolicDimsResult {
  inputs: TensorSpec[];
  outputs: TensorSpec[];
}

function toSpecs(values: Awaited<ReturnType<typeof inspectOnnxModel>>['inputs'], known: readonly TensorSpec[]): TensorSpec[] {
  return values.map((value) => {
    const fallback = known.find((spec) => spec.name === value.name);
    return {
      name: value.name,
      dtype: (value.elementType ?? fallback?.dtype ?? 'float32') as TensorSpec['dtype'],
      shape: (value.dims ?? []).map((dim, axis) => dim ?? fallback?.shape[axis] ?? `${value.name}_dim_${axis}`),
    };
  });
}

/**
 * Fixes symbolic dims of an ONNX file in place (see `fixSymbolicDims`): the model is written into a
 * scratch folder beside it (with its external data, if any, under the same file name) and renamed
 * over the original, so a failure leaves the original as it was.
 *
 * @throws ConversionError `INVALID_MODEL_FILE` when the file cannot be read.
 */
export async function fixSymbolicDimsInFile(
  modelPath: string,
  dims: Record<string, number>,
  options: { outputShapes?: Record<string, readonly number[]>; known?: { inputs: readonly TensorSpec[]; outputs: readonly TensorSpec[] }; signal?: AbortSignal } = {},
): Promise<FixedModelFile> {
  const model = await loadOnnxModel(modelPath);
  const before = await inspectOnnxModel(model, { path: modelPath });
  const result = fixSymbolicDims(model, dims, { outputShapes: options.outputShapes });
  const directory = path.dirname(modelPath);
  const scratch = await mkdtemp(path.join(directory, '.static-shapes-'));
  try {
    const dataFile = before.externalDataFiles[0];
    await saveOnnxModel(model, path.join(scratch, path.basename(modelPath)), {
      externalData: before.externalDataFiles.length > 0,
      externalDataFileName: dataFile === undefined ? undefined : path.basename(dataFile),
      signal: options.signal,
    });
    for (const entry of await readdir(scratch)) await rename(path.join(scratch, entry), path.join(directory, entry));
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  // The file now holds `model` as fixed: its IO is read from memory, not from a second load of the file.
  const after = await inspectOnnxModel(model, { path: modelPath });
  return {
    ...result,
    inputs: toSpecs(after.inputs, options.known?.inputs ?? []),
    outputs: toSpecs(after.outputs, options.known?.outputs ?? []),
  };
}

/**
 * The plain symbolic dim names of a model's inputs (expressions such as `past_sequence_length + 1`
 * left out, since `--static-shapes` sets their parts), for the message of a `--static-shapes` name
 * the model lacks.
 *
 * @example
 * ```ts
 * describeSymbolicDims([{ shape: ['batch_size', 'sequence_length'] }]); // 'batch_size, sequence_length'
 * ```
 */
export function describeSymbolicDims(specs: ReadonlyArray<Pick<TensorSpec, 'shape'>>): string {
  const names = symbolicDimNames(specs).filter((name) => !isDimExpression(name));
  return names.length === 0 ? 'none (the inputs are already static)' : names.join(', ');
}

/** True when every input of the case has exactly the shape the static specs declare. */
function caseMatches(referenceCase: ReferenceCase, inputs: readonly TensorSpec[]): boolean {
  return inputs.every((spec) => {
    const tensor = referenceCase.inputs[spec.name];
    if (tensor === undefined) return true;
    return tensor.shape.length === spec.shape.length && spec.shape.every((dim, axis) => typeof dim !== 'number' || tensor.shape[axis] === dim);
  });
}

/** The output shapes every case of a file agrees on (a shape that differs between cases is left out). */
function agreedOutputShapes(cases: readonly ReferenceCase[]): Record<string, number[]> {
  const shapes: Record<string, number[]> = {};
  const disagreeing = new Set<string>();
  for (const referenceCase of cases) {
    for (const [name, tensor] of Object.entries(referenceCase.outputs)) {
      const known = shapes[name];
      if (known === undefined) shapes[name] = [...tensor.shape];
      else if (known.length !== tensor.shape.length || known.some((dim, axis) => dim !== tensor.shape[axis])) disagreeing.add(name);
    }
  }
  for (const name of disagreeing) delete shapes[name];
  return shapes;
}

/**
 * Applies `--static-shapes` to every exported file: fixes the dims, records the new IO, and keeps
 * only the reference cases at exactly those sizes (adapters make them from
 * `ExportRequest.staticShapes`), so the static model is validated against the source at the sizes it
 * now declares.
 *
 * @throws RangeError when a name is no symbolic dim of any exported file's inputs (the message
 *   lists the names there are).
 * @throws ConversionError `VALIDATION_FAILED` when validation is on and the adapter produced no
 *   reference case at the static sizes for a file that has cases.
 */
export async function applyStaticShapes(exportResult: ExportResult, dims: Record<string, number>, options: { validate: boolean; signal?: AbortSignal }): Promise<ExportResult> {
  const known = new Set(exportResult.files.flatMap((file) => symbolicDimNames(file.inputs).filter((name) => !isDimExpression(name))));
  const unknown = Object.keys(dims).filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new RangeError(
      `--static-shapes names ${unknown.map((name) => `"${name}"`).join(', ')}, which no input of the exported model has. ` +
        `Its symbolic dims are: ${describeSymbolicDims(exportResult.files.flatMap((file) => file.inputs))}.`,
    );
  }
  const files: ExportResult['files'] = [];
  const cases: ReferenceCase[] = [];
  const notes: string[] = [];
  for (const file of exportResult.files) {
    const fileCases = exportResult.referenceCases.filter((referenceCase) => referenceCase.modelName === file.name);
    const relevant = Object.fromEntries(Object.entries(dims).filter(([name]) => symbolicDimNames(file.inputs).includes(name)));
    if (Object.keys(relevant).length === 0) {
      files.push(file);
      cases.push(...fileCases);
      continue;
    }
    // Output sizes are taken from the source's reference outputs only when every input dim is
    // fixed: then the outputs' sizes follow from the inputs' (one case would otherwise fix a dim
    // that still varies with an unfixed input dim).
    const sizeOf = (dim: string): number | undefined => (Object.hasOwn(relevant, dim) ? relevant[dim] : isDimExpression(dim) ? evaluateDimExpression(dim, relevant) : undefined);
    const allStatic = symbolicDimNames(file.inputs).every((name) => sizeOf(name) !== undefined);
    const staticSpecs = file.inputs.map((spec) => ({ ...spec, shape: spec.shape.map((dim) => (typeof dim === 'string' ? (sizeOf(dim) ?? dim) : dim)) }));
    const fixed = await fixSymbolicDimsInFile(file.path, relevant, {
      ...(allStatic ? { outputShapes: agreedOutputShapes(fileCases.filter((referenceCase) => caseMatches(referenceCase, staticSpecs))) } : {}),
      known: file,
      signal: options.signal,
    });
    const matching = fileCases.filter((referenceCase) => caseMatches(referenceCase, fixed.inputs));
    if (options.validate && fileCases.length > 0 && matching.length === 0) {
      throw new ConversionError(
        'VALIDATION_FAILED',
        `The adapter produced no reference case at the static sizes ${JSON.stringify(relevant)} for ${file.name}, so the static model cannot be validated against the source. ` +
          'Update the adapter (it must honour ExportRequest.staticShapes), or pass --no-validate.',
        { details: { file: file.path, staticShapes: relevant } },
      );
    }
    files.push({ ...file, inputs: fixed.inputs, outputs: fixed.outputs });
    cases.push(...matching);
    const left = fixed.remainingInputDims.length === 0 ? 'every input dim is now static' : `dims still dynamic: ${fixed.remainingInputDims.join(', ')}`;
    notes.push(`${file.name}: static shapes ${Object.entries(relevant).map(([name, value]) => `${name}=${value}`).join(', ')} fixed in the graph (${left}).`);
  }
  return { ...exportResult, files, referenceCases: cases, notes: [...exportResult.notes, ...notes] };
}
