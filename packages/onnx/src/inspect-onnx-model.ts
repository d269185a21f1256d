/** A summary of a model: IO, opsets, operators, parameters and size on disk. */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { dataTypeName } from './data-type';
import { externalDataInfo, externalDataSource, isExternalTensor, resolveExternalDataPath } from './external-data';
import { onnxModelSourcePath } from './load-onnx-model';
import type { Int64, ModelProto, TypeProto, ValueInfoProto } from './onnx-types';
import { tensorElementCount } from './tensor-data';
import { forEachNode, forEachTensor } from './walk-model';

/** One graph input or output. */
export interface OnnxValueSummary {
  name: string;
  /** What the value is; only tensors and sparse tensors have an element type and dims. */
  kind: 'tensor' | 'sparse-tensor' | 'sequence' | 'map' | 'optional' | 'opaque' | 'unknown';
  /** `'float32'`, `'int64'`, ... (`'unknown(N)'` for types newer than this library). */
  elementType?: string;
  /** Per dimension: a size, a symbolic name, or null when unknown. Undefined when the rank is unknown. */
  dims?: Array<number | string | null>;
}

/** What {@link inspectOnnxModel} reports. */
export interface OnnxModelInspection {
  irVersion: number | undefined;
  producerName: string | undefined;
  producerVersion: string | undefined;
  domain: string | undefined;
  modelVersion: Int64 | undefined;
  opsetImports: Array<{ domain: string; version: number }>;
  /** Graph inputs that are not initializers. */
  inputs: OnnxValueSummary[];
  outputs: OnnxValueSummary[];
  /** Node count per operator in the main graph and its subgraphs; non-default domains as `domain:OpType`. */
  operatorHistogram: Record<string, number>;
  /** Node count per operator inside local functions, counted apart. */
  functionOperatorHistogram: Record<string, number>;
  nodeCount: number;
  /** Local functions as `domain:name`. */
  localFunctions: string[];
  initializerCount: number;
  /** Sum of the element counts of the main graph's initializers. */
  parameterCount: number;
  /** External data files referenced by the model (absolute when the model's folder is known). */
  externalDataFiles: string[];
  /** Bytes on disk of the model file and its external data files, when the model's path is known. */
  sizeOnDisk?: { modelBytes: number; externalDataBytes: number; totalBytes: number };
}

/** Options of {@link inspectOnnxModel}. */
export interface InspectOnnxModelOptions {
  /** The model file (default: the path `loadOnnxModel` loaded it from); needed for `sizeOnDisk`. */
  path?: string;
}

function operatorKey(domain: string | undefined, opType: string | undefined): string {
  const name = opType ?? '';
  return domain === undefined || domain === '' || domain === 'ai.onnx' ? name : `${domain}:${name}`;
}

function summarizeType(type: TypeProto | undefined): Omit<OnnxValueSummary, 'name'> {
  const tensor = type?.tensorType ?? type?.sparseTensorType;
  if (tensor !== undefined) {
    const summary: Omit<OnnxValueSummary, 'name'> = {
      kind: type?.tensorType !== undefined ? 'tensor' : 'sparse-tensor',
      elementType: dataTypeName(tensor.elemType),
    };
    if (tensor.shape !== undefined) {
      summary.dims = tensor.shape.dim.map((dim) => dim.dimValue ?? (dim.dimParam !== undefined && dim.dimParam !== '' ? dim.dimParam : null));
    }
    return summary;
  }
  if (type?.sequenceType !== undefined) return { kind: 'sequence' };
  if (type?.mapType !== undefined) return { kind: 'map' };
  if (type?.optionalType !== undefined) return { kind: 'optional' };
  if (type?.opaqueType !== undefined) return { kind: 'opaque' };
  return { kind: 'unknown' };
}

function summarizeValue(value: ValueInfoProto): OnnxValueSummary {
  return { name: value.name ?? '', ...summarizeType(value.type) };
}

async function fileSize(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}

/**
 * Summarizes a model: IO with element types and symbolic/fixed dims, opsets, IR version, producer,
 * operator histogram, parameter count and (with a path) size on disk.
 *
 * @example
 * ```ts
 * const summary = await inspectOnnxModel(await loadOnnxModel('model.onnx'));
 * console.log(summary.inputs, summary.operatorHistogram, summary.parameterCount);
 * ```
 */
export async function inspectOnnxModel(model: ModelProto, options: InspectOnnxModelOptions = {}): Promise<OnnxModelInspection> {
  const graph = model.graph;
  const initializerNames = new Set((graph?.initializer ?? []).map((tensor) => tensor.name));
  const operatorHistogram: Record<string, number> = {};
  const functionOperatorHistogram: Record<string, number> = {};
  let nodeCount = 0;
  forEachNode(model, (node, where) => {
    const key = operatorKey(node.domain, node.opType);
    const histogram = where.function === undefined ? operatorHistogram : functionOperatorHistogram;
    histogram[key] = (histogram[key] ?? 0) + 1;
    if (where.function === undefined) nodeCount += 1;
  });
  let parameterCount = 0;
  for (const tensor of graph?.initializer ?? []) parameterCount += tensorElementCount(tensor);

  const modelPath = options.path === undefined ? onnxModelSourcePath(model) : path.resolve(options.path);
  const externalDataFiles = new Set<string>();
  forEachTensor(model, (tensor) => {
    if (!isExternalTensor(tensor)) return;
    const { location } = externalDataInfo(tensor);
    const directory = modelPath === undefined ? externalDataSource(tensor)?.baseDirectory : path.dirname(modelPath);
    externalDataFiles.add(directory === undefined ? location : resolveExternalDataPath(directory, location));
  });

  const inspection: OnnxModelInspection = {
    irVersion: model.irVersion,
    producerName: model.producerName,
    producerVersion: model.producerVersion,
    domain: model.domain,
    modelVersion: model.modelVersion,
    opsetImports: model.opsetImport.map((opset) => ({ domain: opset.domain ?? '', version: Number(opset.version ?? 0) })),
    inputs: (graph?.input ?? []).filter((input) => !initializerNames.has(input.name)).map(summarizeValue),
    outputs: (graph?.output ?? []).map(summarizeValue),
    operatorHistogram,
    functionOperatorHistogram,
    nodeCount,
    localFunctions: model.functions.map((localFunction) => operatorKey(localFunction.domain, localFunction.name)),
    initializerCount: graph?.initializer.length ?? 0,
    parameterCount,
    externalDataFiles: [...externalDataFiles],
  };
  if (modelPath !== undefined) {
    const modelBytes = await fileSize(modelPath);
    let externalDataBytes = 0;
    for (const file of externalDataFiles) externalDataBytes += await fileSize(file);
    inspection.sizeOnDisk = { modelBytes, externalDataBytes, totalBytes: modelBytes + externalDataBytes };
  }
  return inspection;
}
