import path from 'node:path';

import type { ConverterAdapter, DetectionResult, ExportRequest, ExportResult, ModelSource, ProgressEvent } from '@gpux/converter-core';
import { ADAPTER_SPECIFICATION_VERSION, ensurePythonEnvironmentIter, runPythonScriptIter } from '@gpux/converter-core';

import { detectPytorchSource } from './detect-pytorch-source';
import type { PytorchAdapterOptions, PytorchExporter } from './pytorch-adapter-options';
import { pytorchAdapterDirectory, pytorchRequirements } from './pytorch-requirements';
import { writeSingleFileModel } from './write-single-file-model';

const exporters: readonly PytorchExporter[] = ['auto', 'dynamo', 'torchscript'];

/** A file of the Python side's result; `singleFilePath`: write it there as one file (weights inline). */
type PythonExportFile = ExportResult['files'][number] & { singleFilePath?: string };
type PythonExportResult = Omit<ExportResult, 'peakRssBytes' | 'architecture' | 'files'> & { architecture?: string | null; files: PythonExportFile[] };

/**
 * Creates the PyTorch adapter: `torch.onnx.export` (dynamo at opset 18 by default, the TorchScript
 * exporter as fallback) for Hugging Face transformers directories, TorchScript files, `torch.export`
 * archives and `module:function` specs, run in the managed `pytorch` Python environment. Each export
 * also writes reference cases (inputs and PyTorch outputs as `.npy`) at two sizes of every dynamic axis.
 *
 * @param options - Defaults for every export of this adapter.
 * @throws RangeError when `options.exporter` is not `auto`, `dynamo` or `torchscript`.
 * @example
 * ```ts
 * const adapter = createPytorchAdapter();
 * const source = { path: '/models/bert', kind: 'directory' as const };
 * const detection = await adapter.detect(source);
 * const result = await drainEvents(adapter.export({ source, detection: detection!, outputDirectory: '/tmp/out', workDirectory: '/tmp/work' }));
 * ```
 */
export function createPytorchAdapter(options: PytorchAdapterOptions = {}): ConverterAdapter {
  if (options.exporter !== undefined && !exporters.includes(options.exporter)) {
    throw new RangeError(`options.exporter must be one of ${exporters.join(', ')}, received ${JSON.stringify(options.exporter)}`);
  }
  return {
    specificationVersion: ADAPTER_SPECIFICATION_VERSION,
    name: 'pytorch',
    framework: 'pytorch',
    detect: (source: ModelSource): Promise<DetectionResult | undefined> => detectPytorchSource(source),
    export: (request: ExportRequest) => exportWithPytorch(request, options),
  };
}

/** The PyTorch adapter with default options. */
export const pytorchAdapter: ConverterAdapter = createPytorchAdapter();

function validateRequest(request: ExportRequest): void {
  for (const key of ['outputDirectory', 'workDirectory'] as const) {
    if (typeof request?.[key] !== 'string' || !path.isAbsolute(request[key])) {
      throw new TypeError(`request.${key} must be an absolute path, received ${JSON.stringify(request?.[key])}`);
    }
  }
  const count = request.referenceCaseCount;
  if (count !== undefined && (!Number.isInteger(count) || count < 0)) {
    throw new RangeError(`request.referenceCaseCount must be a non-negative integer, received ${String(count)}`);
  }
  if (request.opset !== undefined && (!Number.isInteger(request.opset) || request.opset < 7)) {
    throw new RangeError(`request.opset must be an integer of at least 7, received ${String(request.opset)}`);
  }
  const threshold = request.adapterOptions?.externalDataThresholdBytes;
  if (threshold !== undefined && (typeof threshold !== 'number' || !Number.isInteger(threshold) || threshold < 1)) {
    throw new RangeError(`adapterOptions.externalDataThresholdBytes must be a positive integer, received ${JSON.stringify(threshold)}`);
  }
  const exporter = request.adapterOptions?.exporter;
  if (exporter !== undefined && !exporters.includes(exporter as PytorchExporter)) {
    throw new RangeError(`adapterOptions.exporter must be one of ${exporters.join(', ')}, received ${JSON.stringify(exporter)}`);
  }
}

/** Options the Python side reads for a `module:function` source given as a path. */
function moduleOptions(request: ExportRequest): Record<string, unknown> {
  if (request.detection.format !== 'python-module' || request.adapterOptions?.module !== undefined) return {};
  return { module: path.basename(request.source.path), modulePath: request.adapterOptions?.modulePath ?? path.dirname(request.source.path) };
}

async function* exportWithPytorch(request: ExportRequest, options: PytorchAdapterOptions): AsyncGenerator<ProgressEvent, ExportResult, void> {
  validateRequest(request);
  const python = { ...options.python, ...request.python };
  const environment = yield* ensurePythonEnvironmentIter(pytorchRequirements, { ...python, signal: request.signal });
  const payload = {
    source: request.source,
    detection: request.detection,
    outputDirectory: request.outputDirectory,
    workDirectory: request.workDirectory,
    task: request.task,
    opset: request.opset ?? 18,
    inputSpec: request.inputSpec,
    trustRemoteCode: request.trustRemoteCode === true,
    referenceCaseCount: request.referenceCaseCount ?? 2,
    staticShapes: request.staticShapes ?? {},
    adapterOptions: { exporter: options.exporter ?? 'auto', ...request.adapterOptions, ...moduleOptions(request) },
  };
  const run = yield* runPythonScriptIter<PythonExportResult>({
    pythonExecutable: environment.pythonExecutable,
    scriptPath: path.join(pytorchAdapterDirectory(), 'python', 'export_model.py'),
    request: payload,
    timeoutMs: python.timeoutMs,
    signal: request.signal,
    phase: 'export',
    requirementSetName: pytorchRequirements.name,
    workers: request.pythonWorkers,
  });
  const { architecture, files, ...rest } = run.result;
  return {
    ...rest,
    files: await singleFiles(files, request),
    ...(typeof architecture === 'string' ? { architecture } : {}),
    peakRssBytes: run.peakRssBytes,
  };
}

/** Writes each file the Python side left in its work folder as one `.onnx` file in the output folder. */
async function singleFiles(files: readonly PythonExportFile[], request: ExportRequest): Promise<ExportResult['files']> {
  const written: ExportResult['files'] = [];
  for (const { singleFilePath, ...file } of files) {
    if (singleFilePath === undefined) {
      written.push(file);
      continue;
    }
    const destination = path.resolve(singleFilePath);
    const exported = path.resolve(file.path);
    if (path.dirname(destination) !== path.resolve(request.outputDirectory) || !exported.startsWith(path.resolve(request.workDirectory) + path.sep)) {
      throw new TypeError(`The PyTorch export script asked to write ${destination} from ${exported}, outside the output and work folders.`);
    }
    await writeSingleFileModel(exported, destination, request.signal);
    written.push({ ...file, path: destination });
  }
  return written;
}
