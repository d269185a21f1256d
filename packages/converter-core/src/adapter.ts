/**
 * The versioned contract between converter-core and a framework adapter. A new adapter is a new
 * package that implements {@link ConverterAdapter}; core never imports an adapter.
 *
 * The idea of a `specificationVersion` field follows vercel/ai's provider interfaces: core checks
 * the version it receives and refuses one it does not know, instead of failing deep inside a call.
 */
import type { ProgressEvent } from './progress-event';
import type { PythonScriptRunner } from './python/run-python-script';

/** The version of this contract. Bumped on any breaking change of the types below. */
export const ADAPTER_SPECIFICATION_VERSION = 'v1' as const;

/** Source frameworks. */
export type Framework = 'pytorch' | 'tensorflow' | 'onnx';

/** ONNX tensor element types by name, as onnxruntime-node spells them. */
export type TensorElementType =
  | 'float32'
  | 'float16'
  | 'bfloat16'
  | 'float64'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'bool'
  | 'string';

/** A tensor's name, element type and shape; string dims are symbolic (`batch_size`). */
export interface TensorSpec {
  name: string;
  dtype: TensorElementType;
  shape: Array<number | string>;
}

/** A model on local disk, as the pipeline hands it to adapters. */
export interface ModelSource {
  /** Absolute path of the model file or directory. */
  path: string;
  kind: 'file' | 'directory';
  /** Registry id and resolved revision when the model came from a registry. */
  id?: string;
  revision?: string;
}

/** What an adapter recognised in a source. */
export interface DetectionResult {
  framework: Framework;
  /** The source format (`hf-transformers`, `torchscript`, `torch-export`, `python-module`, `tf-savedmodel`, `keras`, `tf-h5`, `tf-frozen-graph`, `tflite`, `tfjs`, ...). */
  format: string;
  /** The architecture class (`BertForMaskedLM`) when known. */
  architecture?: string;
  /** `model_type` from config.json when known. */
  modelType?: string;
  /** The task inferred from the source, when one could be. */
  task?: string;
  /** Human-readable reason for the detection (goes into the report). */
  reason: string;
}

/** A tensor stored as a `.npy` file (written by the Python side, read by core's validation). */
export interface TensorFile {
  path: string;
  dtype: TensorElementType;
  shape: number[];
}

/** Inputs and the source framework's outputs for one validation case of one ONNX file. */
export interface ReferenceCase {
  /** Which exported file this case is for (the `name` of an {@link ExportedModelFile}). */
  modelName: string;
  /** Human-readable description of the case, e.g. `batch_size=2, sequence_length=16`. */
  label: string;
  inputs: Record<string, TensorFile>;
  outputs: Record<string, TensorFile>;
}

/** One ONNX file written by an export. */
export interface ExportedModelFile {
  /** Logical name: `model`, or `encoder_model` / `decoder_model` / `decoder_with_past_model`. */
  name: string;
  /** Absolute path of the `.onnx` file (its external data, if any, sits beside it). */
  path: string;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
}

/** What a caller asks an adapter to export. */
export interface ExportRequest {
  source: ModelSource;
  detection: DetectionResult;
  /** Directory the adapter writes its ONNX files into (created by the pipeline, removed on failure). */
  outputDirectory: string;
  /** Directory for reference tensors and other scratch files (removed by the pipeline). */
  workDirectory: string;
  task?: string;
  opset?: number;
  /** Explicit inputs, for sources that carry no input description. */
  inputSpec?: TensorSpec[];
  /** Allow running code shipped with the model. @default false */
  trustRemoteCode?: boolean;
  /** Adapter-specific options (exporter choice, signature name, shape overrides, ...). */
  adapterOptions?: Record<string, unknown>;
  /** Python interpreter and environment settings. */
  python?: PythonSettings;
  /** How many reference cases to produce (0 skips reference outputs). @default 2 */
  referenceCaseCount?: number;
  /**
   * Sizes the caller will fix these symbolic dims to after the export (`--static-shapes`). The
   * export itself stays dynamic; the reference cases must use exactly these sizes for these dims
   * (their other dims vary as usual), so the static model can be validated against the source.
   */
  staticShapes?: Record<string, number>;
  /**
   * Warm Python workers to run the export on (a `PythonWorkerPool`): adapters pass it on as
   * `runPythonScriptIter`'s `workers`. Optional in this version of the contract: an adapter that
   * ignores it runs a one-shot child, which gives the same result, only slower.
   */
  pythonWorkers?: PythonScriptRunner;
  signal?: AbortSignal;
}

/** Interpreter and environment settings shared by everything that runs Python. */
export interface PythonSettings {
  /** Use this interpreter instead of a managed environment (else `GPUX_PYTHON`). */
  pythonExecutable?: string;
  /** Root of GPUX's caches (else `GPUX_CACHE_DIR`, else `~/.cache/gpux`). */
  cacheDirectory?: string;
  /** Interpreter used to create managed environments. @default "python3" */
  basePython?: string;
  /** Kill a Python child that runs longer than this. */
  timeoutMs?: number;
}

/** What an export produced. */
export interface ExportResult {
  files: ExportedModelFile[];
  task: string;
  architecture?: string;
  opset: number;
  /** Which exporter ran, e.g. `torch.onnx.export(dynamo=True)` or `tf2onnx.convert.from_keras`. */
  exporter: string;
  /** Why a fallback exporter ran, custom ops left in the graph, and similar facts for the report. */
  notes: string[];
  /** Versions of the framework and tools used (`torch`, `transformers`, `tf2onnx`, ...). */
  toolVersions: Record<string, string>;
  referenceCases: ReferenceCase[];
  /** Peak resident memory of the Python child, in bytes. */
  peakRssBytes?: number;
  /** Source configuration facts used to write gpux.yml (id2label, max positions, image size...). */
  modelConfig?: Record<string, unknown>;
}

/** A framework adapter. */
export interface ConverterAdapter {
  readonly specificationVersion: typeof ADAPTER_SPECIFICATION_VERSION;
  /** Short name, e.g. `pytorch`. */
  readonly name: string;
  readonly framework: Framework;
  /** Recognises a source this adapter can export, or returns undefined. Must not run Python. */
  detect(source: ModelSource): Promise<DetectionResult | undefined>;
  /** Exports the source to ONNX, yielding progress events. */
  export(request: ExportRequest): AsyncGenerator<ProgressEvent, ExportResult, void>;
}

/**
 * Throws a TypeError when `adapter` does not implement this version of the contract.
 *
 * @throws TypeError naming the adapter and the version it declares.
 */
export function assertAdapterSpecification(adapter: ConverterAdapter): void {
  if ((adapter as { specificationVersion?: unknown }).specificationVersion !== ADAPTER_SPECIFICATION_VERSION) {
    throw new TypeError(
      `Adapter "${String((adapter as { name?: unknown }).name)}" implements specification ` +
        `${JSON.stringify((adapter as { specificationVersion?: unknown }).specificationVersion)}, ` +
        `but this converter-core expects "${ADAPTER_SPECIFICATION_VERSION}". Install matching versions of the adapter and @gpux/converter-core.`,
    );
  }
}
