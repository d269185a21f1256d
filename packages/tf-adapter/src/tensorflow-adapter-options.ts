/**
 * Options of the TensorFlow adapter, passed as `ExportRequest.adapterOptions` (or as defaults to
 * {@link createTensorflowAdapter}).
 */
export interface TensorflowAdapterOptions {
  /** ONNX opset. @default 18 (the newest opset tf2onnx 1.17 maps) */
  opset?: number;
  /** SavedModel signature to convert. @default "serving_default" */
  signature?: string;
  /** SavedModel tags to load. @default the SavedModel's own (`serve`) */
  tags?: string[];
  /**
   * Input shape overrides, `-1` for a dynamic dim: `{ input_1: [-1, 224, 224, 3] }` or
   * `['input_1:[-1,224,224,3]']`.
   */
  inputShapes?: Record<string, number[]> | string[];
  /** Input tensor names of a frozen graph (`x:0`). @default its Placeholders */
  inputs?: string[];
  /** Output tensor names of a frozen graph. @default its sink nodes */
  outputs?: string[];
  /** Inputs that the ONNX model takes as NCHW; tf2onnx inserts the transpose (`inputs_as_nchw`). */
  inputsAsNchw?: string[];
  /**
   * Keep operators that tf2onnx cannot convert as custom ops (domain
   * `ai.onnx.converters.tensorflow`) instead of failing with `UNSUPPORTED_OPERATOR`. @default false
   */
  allowCustomOps?: boolean;
  /**
   * Write weights as ONNX external data (`model.onnx.data`), which models over 2 GiB need (a
   * protobuf cannot be larger). @default true when the source is larger than `largeModelThresholdBytes`
   */
  largeModel?: boolean;
  /** Source size in bytes above which `largeModel` turns on by itself. @default 1_800_000_000 */
  largeModelThresholdBytes?: number;
  /**
   * With `largeModel`: constants of at least this many bytes are kept out of tf2onnx (which copies
   * every weight several times in memory) and written straight to `model.onnx.data`, one tensor at
   * a time. Smaller ones go through tf2onnx and are moved to the data file afterwards.
   * @default 1_048_576
   */
  externalWeightMinBytes?: number;
  /**
   * A Python file (or importable module) with `get_custom_objects()` returning Keras custom layer
   * classes. Runs code: needs `trustRemoteCode: true` on the request.
   */
  customObjectsModule?: string;
  /** Seed of the generated validation inputs. @default 0 */
  seed?: number;
}

const STRING_LISTS = ['tags', 'inputs', 'outputs', 'inputsAsNchw'] as const;

/**
 * Checks adapter options and returns them as a plain object for the Python side.
 *
 * @throws TypeError naming the option and the value received.
 */
export function normalizeTensorflowAdapterOptions(value: Record<string, unknown> | undefined): TensorflowAdapterOptions {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`adapterOptions must be an object, received ${JSON.stringify(value)}`);
  }
  const options = value as TensorflowAdapterOptions & Record<string, unknown>;
  if (options.opset !== undefined && !(Number.isInteger(options.opset) && options.opset >= 7 && options.opset <= 18)) {
    throw new RangeError(`adapterOptions.opset must be an integer from 7 to 18 (tf2onnx 1.17), received ${JSON.stringify(options.opset)}`);
  }
  for (const key of ['signature', 'customObjectsModule'] as const) {
    if (options[key] !== undefined && (typeof options[key] !== 'string' || options[key] === '')) {
      throw new TypeError(`adapterOptions.${key} must be a non-empty string, received ${JSON.stringify(options[key])}`);
    }
  }
  for (const key of STRING_LISTS) {
    const list = options[key];
    if (list !== undefined && !(Array.isArray(list) && list.every((item) => typeof item === 'string'))) {
      throw new TypeError(`adapterOptions.${key} must be an array of strings, received ${JSON.stringify(list)}`);
    }
  }
  for (const key of ['allowCustomOps', 'largeModel'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'boolean') {
      throw new TypeError(`adapterOptions.${key} must be a boolean, received ${JSON.stringify(options[key])}`);
    }
  }
  for (const key of ['largeModelThresholdBytes', 'externalWeightMinBytes'] as const) {
    const value = options[key];
    if (value !== undefined && !(Number.isSafeInteger(value) && value > 0)) {
      throw new RangeError(`adapterOptions.${key} must be a positive integer, received ${JSON.stringify(value)}`);
    }
  }
  if (options.seed !== undefined && !Number.isInteger(options.seed)) {
    throw new TypeError(`adapterOptions.seed must be an integer, received ${JSON.stringify(options.seed)}`);
  }
  const shapes = options.inputShapes;
  if (shapes !== undefined) {
    const valid = Array.isArray(shapes)
      ? shapes.every((entry) => typeof entry === 'string' && /^.+:\[[-\d,\s]*\]$/.test(entry))
      : typeof shapes === 'object' && shapes !== null && Object.values(shapes).every((dims) => Array.isArray(dims) && dims.every((dim) => Number.isInteger(dim)));
    if (!valid) {
      throw new TypeError(`adapterOptions.inputShapes must map input names to integer arrays or be strings like "name:[-1,224,224,3]", received ${JSON.stringify(shapes)}`);
    }
  }
  return { ...options };
}
