// Graph passes (src/passes)
export { removeUnusedNodes } from './passes/remove-unused-nodes';
export type { RemoveUnusedNodesOptions } from './passes/remove-unused-nodes';
export { eliminateIdentity } from './passes/eliminate-identity';
export { eliminateDropout } from './passes/eliminate-dropout';
export { foldConstants } from './passes/fold-constants';
export type { FoldConstantsOptions } from './passes/fold-constants';
export { deduplicateInitializers } from './passes/deduplicate-initializers';
export { sortNodesTopologically } from './passes/sort-nodes-topologically';
export { GRAPH_PASS_NAMES, optimizeGraph, summarizePassReports } from './passes/optimize-graph';
export type { GraphPassName, OptimizeGraphOptions, OptimizeGraphResult } from './passes/optimize-graph';
export type { GraphPass, PassReport } from './passes/pass-report';
// Levels and optimizeModel (src/levels, src/optimize-model.ts)
export { OPTIMIZATION_LEVEL_DESCRIPTIONS, OPTIMIZATION_LEVELS, levelTolerances, parseOptimizationLevel } from './levels/optimization-level';
export type { OptimizationLevel } from './levels/optimization-level';
export { applyOptimizationLevel } from './levels/apply-optimization-level';
export type { ApplyOptimizationLevelOptions, LevelResult } from './levels/apply-optimization-level';
export { optimizeModel, optimizeModelIter } from './optimize-model';
export type { OptimizeModelOptions, OptimizeModelResult } from './optimize-model';
// Target runtime check (src/target)
export { checkTargetCompatibility } from './target/check-target-compatibility';
export type { TargetCompatibilityReport, TargetRuntime, UnsupportedOperator } from './target/check-target-compatibility';
export { fixForTarget } from './target/fix-for-target';
export type { FixForTargetOptions, FixForTargetResult } from './target/fix-for-target';
export { ONNXRUNTIME_RELEASES, onnxRuntimeRelease } from './target/onnxruntime-releases';
export type { OnnxRuntimeRelease } from './target/onnxruntime-releases';
export { requiredIrVersion } from './target/required-ir-version';
export type { IrFeature } from './target/required-ir-version';
// O2 transformer fusions (src/fusions)
export { applyTransformerFusions } from './fusions/apply-transformer-fusions';
export type { TransformerFusionOptions } from './fusions/apply-transformer-fusions';
export type { AttentionLayerReport, FusionReport } from './fusions/fusion-report';
// float16 (src/fp16)
export { convertToFloat16 } from './fp16/convert-to-float16';
export type { ConvertToFloat16Options, Float16Report } from './fp16/convert-to-float16';
export { convertModelToFloat16, convertModelToFloat16Iter } from './fp16/convert-model-to-float16';
export type { ConvertModelToFloat16Options, ConvertModelToFloat16Result } from './fp16/convert-model-to-float16';
export { DEFAULT_FLOAT16_OP_BLOCK_LIST } from './fp16/float16-op-block-list';
export { countCastChains, removeRedundantCasts } from './fp16/remove-redundant-casts';
// Pipeline stages (src/stages)
export { createOptimizationStage } from './stages/create-optimization-stage';
export type { OptimizationStageOptions } from './stages/create-optimization-stage';
export { FLOAT16_TOLERANCES, createFloat16Stage } from './stages/create-float16-stage';
export type { Float16StageOptions } from './stages/create-float16-stage';
// Quantization (src/quantization)
export { quantizeModel, quantizeModelIter, weightTypeForMode } from './quantization/quantize-model';
export { createQuantizationStage, QUANTIZATION_FILE_SUFFIXES, QUANTIZATION_TOLERANCES } from './quantization/create-quantization-stage';
export type { QuantizationStageOptions } from './quantization/create-quantization-stage';
export { PRECISION_VARIANTS, parsePrecisionVariants } from './variants/precision-variant';
export type { PrecisionVariant } from './variants/precision-variant';
export { calibrateActivations } from './quantization/calibrate-activations';
export type { ActivationRange, CalibrateActivationsOptions } from './quantization/calibrate-activations';
export { detectQuantizedModel, QUANTIZED_OP_TYPES } from './quantization/detect-quantized-model';
export type { QuantizedModelEvidence } from './quantization/detect-quantized-model';
export type {
  AccuracyBudget,
  CalibrationMethod,
  CalibrationOptions,
  KeptInFloatCost,
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
