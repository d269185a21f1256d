import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import {
  ADAPTER_SPECIFICATION_VERSION,
  inspectOnnxModel,
  loadOnnxModel,
  saveOnnxModel,
  type ConverterAdapter,
  type DetectionResult,
  type ExportRequest,
  type ExportResult,
  type ModelSource,
  type OnnxValueSummary,
  type TensorElementType,
  type TensorSpec,
} from '@gpux/converter-core';

/** The ONNX element types a {@link TensorSpec} can name. */
const tensorElementTypes = new Set<string>(['float32', 'float16', 'bfloat16', 'float64', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'bool', 'string']);

/** An inspected input/output as a {@link TensorSpec}; unnamed dynamic dims get `<name>_dim_<axis>`. */
export function toTensorSpec(value: OnnxValueSummary): TensorSpec {
  const dtype = value.elementType !== undefined && tensorElementTypes.has(value.elementType) ? (value.elementType as TensorElementType) : 'float32';
  return { name: value.name, dtype, shape: (value.dims ?? []).map((dim, axis) => dim ?? `${value.name}_dim_${axis}`) };
}

/**
 * An adapter for sources that already are ONNX (`model.onnx`): "export" copies the file (and its
 * external data) into the output, so the pipeline only validates variants, optimizes and quantizes.
 * There is no source framework to compare with, so the fp32 file's validation is `skipped`.
 */
export const onnxSourceAdapter: ConverterAdapter = {
  specificationVersion: ADAPTER_SPECIFICATION_VERSION,
  name: 'onnx',
  framework: 'onnx',
  detect(source: ModelSource): Promise<DetectionResult | undefined> {
    if (source.kind !== 'file' || path.extname(source.path).toLowerCase() !== '.onnx') return Promise.resolve(undefined);
    return Promise.resolve({ framework: 'onnx', format: 'onnx', reason: `${path.basename(source.path)} is an ONNX file: export is skipped` });
  },
  export: exportOnnxSource,
};

async function* exportOnnxSource(request: ExportRequest): AsyncGenerator<never, ExportResult, void> {
  const model = await loadOnnxModel(request.source.path);
  const inspection = await inspectOnnxModel(model, { path: request.source.path });
  const target = path.join(request.outputDirectory, 'model.onnx');
  if (inspection.externalDataFiles.length === 0) await copyFile(request.source.path, target);
  else await saveOnnxModel(model, target, { externalData: true, externalDataFileName: 'model.onnx_data', ...(request.signal === undefined ? {} : { signal: request.signal }) });
  const opset = inspection.opsetImports.find((entry) => entry.domain === '' || entry.domain === 'ai.onnx')?.version ?? 0;
  return {
    files: [{ name: 'model', path: target, inputs: inspection.inputs.map(toTensorSpec), outputs: inspection.outputs.map(toTensorSpec) }],
    task: request.task ?? 'unknown',
    opset,
    exporter: 'none (the source is ONNX)',
    notes: ['The source is an ONNX file: it was copied, not exported; variants are validated against it.'],
    toolVersions: {},
    referenceCases: [],
  };
}
