export { ConversionError } from './conversion-error';
export type { ConversionErrorCode, ConversionErrorOptions } from './conversion-error';
export { drainEvents } from './progress-event';
export type { ConversionPhase, ProgressCallback, ProgressEvent } from './progress-event';
export { ADAPTER_SPECIFICATION_VERSION, assertAdapterSpecification } from './adapter';
export type {
  ConverterAdapter,
  DetectionResult,
  ExportRequest,
  ExportResult,
  ExportedModelFile,
  Framework,
  ModelSource,
  PythonSettings,
  ReferenceCase,
  TensorElementType,
  TensorFile,
  TensorSpec,
} from './adapter';
export { bridgeModuleDirectory, resolvePackageDirectory } from './python/resolve-package-directory';
export { runPythonScript, runPythonScriptIter } from './python/run-python-script';
export type { PythonScriptResult, RunPythonScriptOptions } from './python/run-python-script';
// ONNX model IO (src/onnx)
export { loadOnnxModel, loadOnnxModelFromBuffer, onnxModelSourcePath } from './onnx/load-onnx-model';
export type { LoadOnnxModelOptions, LoadOnnxModelFromBufferOptions } from './onnx/load-onnx-model';
export { saveOnnxModel, saveOnnxModelIter, serializeOnnxModel } from './onnx/save-onnx-model';
export type { SaveOnnxModelOptions, SaveOnnxModelResult } from './onnx/save-onnx-model';
export { ensurePythonEnvironment, ensurePythonEnvironmentIter } from './python/python-environment';
export type { EnsurePythonEnvironmentSettings, PythonEnvironment, PythonRequirementSet } from './python/python-environment';
export { inspectPythonEnvironment } from './python/inspect-python-environment';
export type { PythonEnvironmentReport, PythonEnvironmentStatus } from './python/inspect-python-environment';
