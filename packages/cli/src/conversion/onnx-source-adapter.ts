import { copyFile, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { inferTaskFromArchitectures } from '@gpux/model-manager';
import {
  ADAPTER_SPECIFICATION_VERSION,
  type ConverterAdapter,
  type DetectionResult,
  type ExportRequest,
  type ExportResult,
  type ModelSource,
  type TensorElementType,
  type TensorSpec,
} from '@gpux/converter-core';
import { inspectOnnxModel, loadOnnxModel, saveOnnxModel, type OnnxValueSummary } from '@gpux/onnx';

/** The ONNX element types a {@link TensorSpec} can name. */
const tensorElementTypes = new Set<string>(['float32', 'float16', 'bfloat16', 'float64', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'bool', 'string']);

/** An inspected input/output as a {@link TensorSpec}; unnamed dynamic dims get `<name>_dim_<axis>`. */
export function toTensorSpec(value: OnnxValueSummary): TensorSpec {
  const dtype = value.elementType !== undefined && tensorElementTypes.has(value.elementType) ? (value.elementType as TensorElementType) : 'float32';
  return { name: value.name, dtype, shape: (value.dims ?? []).map((dim, axis) => dim ?? `${value.name}_dim_${axis}`) };
}

/** File-name suffixes of derived files in an Optimum / transformers.js `onnx/` folder (not re-exported as sources). */
const variantSuffixes = ['_fp16', '_int8', '_uint8', '_quantized', '_q4', '_q4f16', '_bnb4', '_optimized'];

/**
 * The fp32 ONNX files of a directory laid out as Optimum and transformers.js write them: `model.onnx`
 * (+ `model.onnx_data`) at the top, or `onnx/model.onnx`, or `onnx/encoder_model.onnx` +
 * `onnx/decoder_model*.onnx`. Variants (`model_int8.onnx`, ...) are left out: they are outputs.
 */
export async function onnxFilesOfDirectory(directory: string): Promise<string[]> {
  const list = async (folder: string): Promise<string[]> => {
    const entries = await readdir(folder, { withFileTypes: true }).catch(() => []);
    return entries
      .filter((entry) => entry.isFile() && entry.name.toLowerCase().endsWith('.onnx'))
      .map((entry) => entry.name)
      .filter((name) => !variantSuffixes.some((suffix) => name.slice(0, -'.onnx'.length).endsWith(suffix)))
      .sort()
      .map((name) => path.join(folder, name));
  };
  const top = await list(directory);
  if (top.length > 0) return top;
  const nested = await list(path.join(directory, 'onnx'));
  const main = nested.filter((file) => path.basename(file) === 'model.onnx');
  return main.length > 0 ? main : nested;
}

/**
 * An adapter for sources that already are ONNX: a `model.onnx` file, or a directory holding ONNX
 * files (see {@link onnxFilesOfDirectory}; the CLI asks it after the PyTorch and TensorFlow adapters,
 * so a folder with weights is exported from its framework). "Export" copies the files (and their
 * external data) into the output, so the pipeline only validates variants, optimizes and quantizes;
 * the directory's configs and tokenizer are copied as for any source. There is no source framework
 * to compare with, so the fp32 files' validation is `skipped`.
 */
export const onnxSourceAdapter: ConverterAdapter = {
  specificationVersion: ADAPTER_SPECIFICATION_VERSION,
  name: 'onnx',
  framework: 'onnx',
  async detect(source: ModelSource): Promise<DetectionResult | undefined> {
    if (source.kind === 'directory') {
      const files = await onnxFilesOfDirectory(source.path);
      if (files.length === 0) return undefined;
      const names = files.map((file) => path.relative(source.path, file).split(path.sep).join('/'));
      return { framework: 'onnx', format: 'onnx', reason: `the directory holds ONNX files (${names.join(', ')}): export is skipped` };
    }
    if (path.extname(source.path).toLowerCase() !== '.onnx') return undefined;
    return { framework: 'onnx', format: 'onnx', reason: `${path.basename(source.path)} is an ONNX file: export is skipped` };
  },
  export: exportOnnxSource,
};

async function taskOfDirectory(directory: string): Promise<string | undefined> {
  const config = await readFile(path.join(directory, 'config.json'), 'utf8').then((text) => JSON.parse(text) as Record<string, unknown>, () => undefined);
  if (config === undefined) return undefined;
  const architectures = Array.isArray(config.architectures) ? config.architectures.filter((entry): entry is string => typeof entry === 'string') : [];
  return inferTaskFromArchitectures(architectures, typeof config.model_type === 'string' ? config.model_type : undefined);
}

async function copyOnnxFile(sourcePath: string, target: string, signal: AbortSignal | undefined) {
  const model = await loadOnnxModel(sourcePath);
  const inspection = await inspectOnnxModel(model, { path: sourcePath });
  if (inspection.externalDataFiles.length === 0) await copyFile(sourcePath, target);
  else await saveOnnxModel(model, target, { externalData: true, externalDataFileName: `${path.basename(target)}_data`, signal });
  return inspection;
}

async function* exportOnnxSource(request: ExportRequest): AsyncGenerator<never, ExportResult, void> {
  const directory = request.source.kind === 'directory' ? request.source.path : undefined;
  const sources = directory === undefined ? [request.source.path] : await onnxFilesOfDirectory(directory);
  const files: ExportResult['files'] = [];
  let opset = 0;
  for (const sourcePath of sources) {
    // A single model file becomes `model` (onnx/model.onnx); a directory's files keep their names.
    const name = directory === undefined ? 'model' : path.basename(sourcePath, '.onnx');
    const finalPath = path.join(request.outputDirectory, `${name}.onnx`);
    const inspection = await copyOnnxFile(sourcePath, finalPath, request.signal);
    opset = Math.max(opset, inspection.opsetImports.find((entry) => entry.domain === '' || entry.domain === 'ai.onnx')?.version ?? 0);
    files.push({ name, path: finalPath, inputs: inspection.inputs.map(toTensorSpec), outputs: inspection.outputs.map(toTensorSpec) });
  }
  const task = request.task ?? (directory === undefined ? undefined : await taskOfDirectory(directory)) ?? 'unknown';
  return {
    files,
    task,
    opset,
    exporter: 'none (the source is ONNX)',
    notes: [`The source is ONNX (${sources.map((file) => path.basename(file)).join(', ')}): it was copied, not exported; variants are validated against it.`],
    toolVersions: {},
    referenceCases: [],
  };
}
