import { createRequire } from 'node:module';
import type * as OnnxRuntime from 'onnxruntime-node';
import { ConversionError } from '../conversion-error';

/** The `onnxruntime-node` module, as its typings describe it. */
export type OnnxRuntimeModule = typeof OnnxRuntime;

let cached: OnnxRuntimeModule | undefined;

/**
 * Loads the optional peer dependency `onnxruntime-node` on first use and returns it (later calls
 * return the same module).
 *
 * @throws ConversionError `RUNTIME_MISSING` when `onnxruntime-node` is not installed or its native
 *   binding does not load.
 * @example
 * ```ts
 * const ort = loadOnnxRuntime();
 * const session = await ort.InferenceSession.create('model.onnx');
 * ```
 */
export function loadOnnxRuntime(): OnnxRuntimeModule {
  if (cached !== undefined) return cached;
  const requireFromHere = createRequire(__filename);
  try {
    cached = requireFromHere('onnxruntime-node') as OnnxRuntimeModule;
  } catch (error) {
    throw new ConversionError('RUNTIME_MISSING', 'Install onnxruntime-node: npm install onnxruntime-node', {
      cause: error,
      details: { module: 'onnxruntime-node', reason: error instanceof Error ? error.message : String(error) },
    });
  }
  return cached;
}

/** Version of the loaded `onnxruntime-node`, or undefined when it is not installed. */
export function onnxRuntimeVersion(): string | undefined {
  try {
    const requireFromHere = createRequire(__filename);
    return (requireFromHere('onnxruntime-node/package.json') as { version?: string }).version;
  } catch {
    return undefined;
  }
}
