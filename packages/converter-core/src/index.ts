// The root of GPUX's caches, shared with @gpux/model-manager (adapters reach it through core).
export { resolveGpuxCacheDirectory } from '@gpux/model-manager';
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
export type { PythonScriptResult, PythonScriptRunner, RunPythonScriptOptions } from './python/run-python-script';
export { PythonWorkerPool } from './python/python-worker-pool';
export type { PythonWorkerPoolOptions, PythonWorkerPoolStats } from './python/python-worker-pool';
export { ensurePythonEnvironment, ensurePythonEnvironmentIter } from './python/python-environment';
export type { EnsurePythonEnvironmentSettings, PythonEnvironment, PythonRequirementSet } from './python/python-environment';
export { inspectPythonEnvironment } from './python/inspect-python-environment';
export type { PythonEnvironmentReport, PythonEnvironmentStatus } from './python/inspect-python-environment';
// Tensors, runtime, validation, pipeline and report (src/tensor, src/runtime, src/validation, src/pipeline, src/report)
export { readNpy, decodeNpy } from './tensor/read-npy';
export { writeNpy } from './tensor/write-npy';
export { float16ToFloat32, float32ToFloat16, bfloat16ToFloat32 } from './tensor/float16-to-float32';
export { allocateTensorData, shapeElementCount } from './tensor/host-tensor';
export type { HostTensor, TensorData } from './tensor/host-tensor';
export { loadOnnxRuntime, onnxRuntimeVersion } from './runtime/load-onnx-runtime';
export type { OnnxRuntimeModule } from './runtime/load-onnx-runtime';
export { createInferenceSession } from './runtime/create-inference-session';
export type { CreateInferenceSessionOptions } from './runtime/create-inference-session';
export { hostTensorToOrt, ortTensorToHost } from './runtime/ort-tensor-conversion';
export { DEFAULT_VALIDATION_TOLERANCES, resolveValidationTolerances } from './validation/validation-tolerances';
export type { ResolvedValidationTolerances, ValidationTolerances } from './validation/validation-tolerances';
export { compareTensors, tensorToFloat64 } from './validation/compare-tensors';
export type { CompareTensorsOptions } from './validation/compare-tensors';
export { describeValidationFailures } from './validation/validation-report';
export type { CaseValidation, OutputComparison, ValidationReport } from './validation/validation-report';
export { validateOnnxModel, validateOnnxModelIter } from './validation/validate-onnx-model';
export type { ValidateOnnxModelOptions } from './validation/validate-onnx-model';
export { compareOnnxModels, compareOnnxModelsIter, sessionInputSpecs } from './validation/compare-onnx-models';
export type { CompareOnnxModelsOptions, LabelledInputs } from './validation/compare-onnx-models';
export { generateInputs, resolveShape } from './validation/generate-inputs';
export { findVocabSize } from './validation/find-vocab-size';
export type { FindVocabSizeOptions } from './validation/find-vocab-size';
export type { GenerateInputsOptions } from './validation/generate-inputs';
export { defaultValidationDims, describeDims, symbolicDimRole } from './validation/default-validation-dims';
export type { SymbolicDimRole, ValidationDimsOptions } from './validation/default-validation-dims';
export { convert, convertIter, conversionCacheOptions } from './pipeline/convert';
export type { ConversionResult, ConvertCallbackOptions, ConvertOptions } from './pipeline/convert-options';
export { convertBatch, convertBatchIter } from './pipeline/convert-batch';
export { batchJobName, batchJobRecord, countBatchJobStatuses, failureCode, uniqueBatchJobNames } from './pipeline/batch-job-record';
export type {
  BatchDefaults,
  BatchEvent,
  BatchJob,
  BatchJobFile,
  BatchJobRecord,
  BatchJobStatus,
  BatchResult,
  ConvertBatchOptions,
} from './pipeline/batch-types';
export { holdsConversionOutput } from './pipeline/output-staging';
export type { ModelVariantStage, VariantResult, VariantStageInput } from './pipeline/model-variant-stage';
export type { ConversionCacheLike } from './pipeline/conversion-cache-like';
export type { FrameworkChoice } from './pipeline/select-adapter';
export type { PhaseRecord } from './pipeline/phase-runner';
export { CONVERSION_REPORT_FILE, GPUX_CONFIG_FILE } from './pipeline/write-conversion-output';
export { buildGpuxConfig, GPUX_RUNTIME_VERSION, gpuxDynamicInputWarning, gpuxShape, renderGpuxConfig } from './report/build-gpux-config';
export { applyStaticShapes, describeSymbolicDims, fixSymbolicDimsInFile } from './pipeline/apply-static-shapes';
export type { FixedModelFile } from './pipeline/apply-static-shapes';
export type { GpuxConfigInput } from './report/build-gpux-config';
export type {
  ArtifactRecord,
  ArtifactValidationRecord,
  ConversionReport,
  ModelInterfaceRecord,
  VariantRecord,
} from './report/conversion-report';
