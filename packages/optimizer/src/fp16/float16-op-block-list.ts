/**
 * Operators kept in float32 by default when converting to float16. The list is the one
 * onnxruntime's float16 converter uses (`DEFAULT_OP_BLOCK_LIST` in
 * onnxruntime/python/tools/transformers/float16.py, read from onnxruntime 1.32's Python package:
 * https://github.com/microsoft/onnxruntime/blob/main/onnxruntime/python/tools/transformers/float16.py):
 * ai.onnx.ml operators without float16 kernels, plus operators whose float16 results are unsafe
 * (index and range arithmetic, accumulations, NonMaxSuppression/TopK/RoiAlign decisions).
 */
export const DEFAULT_FLOAT16_OP_BLOCK_LIST: readonly string[] = [
  'ArrayFeatureExtractor',
  'Binarizer',
  'CastMap',
  'CategoryMapper',
  'DictVectorizer',
  'FeatureVectorizer',
  'Imputer',
  'LabelEncoder',
  'LinearClassifier',
  'LinearRegressor',
  'Normalizer',
  'OneHotEncoder',
  'RandomUniformLike',
  'SVMClassifier',
  'SVMRegressor',
  'Scaler',
  'TreeEnsembleClassifier',
  'TreeEnsembleRegressor',
  'TreeEnsemble',
  'ZipMap',
  'NonMaxSuppression',
  'TopK',
  'RoiAlign',
  'Range',
  'CumSum',
  'Min',
  'Max',
  'Upsample',
];

/**
 * Inputs that must stay float32 even inside a float16 region (by operator): Resize's `roi` and
 * `scales`, and the gamma/beta of com.microsoft GroupNorm/SkipGroupNorm.
 */
export const FLOAT32_ONLY_INPUTS: ReadonlyMap<string, readonly number[]> = new Map([
  ['Resize', [1, 2]],
  ['GroupNorm', [1, 2]],
  ['SkipGroupNorm', [1, 2]],
]);
