export const packageName = '@gpux/optimizer';
// Quantization (src/quantization)
export { quantizeModel, quantizeModelIter, weightTypeForMode } from './quantization/quantize-model';
export { createQuantizationStage, QUANTIZATION_FILE_SUFFIXES, QUANTIZATION_TOLERANCES } from './quantization/create-quantization-stage';
export type { QuantizationStageOptions } from './quantization/create-quantization-stage';
export { calibrateActivations } from './quantization/calibrate-activations';
export type { ActivationRange, CalibrateActivationsOptions } from './quantization/calibrate-activations';
export { detectQuantizedModel, QUANTIZED_OP_TYPES } from './quantization/detect-quantized-model';
export type { QuantizedModelEvidence } from './quantization/detect-quantized-model';
export type {
  AccuracyBudget,
  CalibrationMethod,
  CalibrationOptions,
  QuantizationFeeds,
  QuantizationFormat,
  QuantizationMode,
  QuantizationResult,
  QuantizationTensor,
  QuantizeModelCallOptions,
  QuantizeModelOptions,
  SkippedNode,
  VariantAccuracy,
} from './quantization/quantization-options';
export type { QuantizedIntegerType } from './quantization/quantization-math';
