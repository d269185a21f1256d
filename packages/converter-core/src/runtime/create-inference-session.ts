import type { InferenceSession } from 'onnxruntime-node';
import { ConversionError } from '../conversion-error';
import { loadOnnxRuntime } from './load-onnx-runtime';

/** Options of {@link createInferenceSession}. */
export interface CreateInferenceSessionOptions {
  /**
   * onnxruntime's graph optimization level. Validation uses `'disabled'` so that the graph is run as
   * exported. @default "disabled"
   */
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'layout' | 'all';
  /** Let onnxruntime write the optimized graph to this path. */
  optimizedModelFilePath?: string;
  /** Threads used inside one operator. @default onnxruntime's choice */
  intraOpNumThreads?: number;
}

/**
 * Opens an onnxruntime-node CPU session on an ONNX file (external data is resolved from the
 * file's folder).
 *
 * @throws ConversionError `RUNTIME_MISSING` when onnxruntime-node is not installed,
 *   `INVALID_MODEL_FILE` when onnxruntime refuses the model (the message keeps onnxruntime's reason).
 * @example
 * ```ts
 * const session = await createInferenceSession('out/onnx/model.onnx', { graphOptimizationLevel: 'all' });
 * ```
 */
export async function createInferenceSession(modelPath: string, options: CreateInferenceSessionOptions = {}): Promise<InferenceSession> {
  const ort = loadOnnxRuntime();
  try {
    return await ort.InferenceSession.create(modelPath, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: options.graphOptimizationLevel ?? 'disabled',
      logSeverityLevel: 3,
      ...(options.optimizedModelFilePath === undefined ? {} : { optimizedModelFilePath: options.optimizedModelFilePath }),
      ...(options.intraOpNumThreads === undefined ? {} : { intraOpNumThreads: options.intraOpNumThreads }),
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConversionError('INVALID_MODEL_FILE', `onnxruntime-node could not load ${modelPath}: ${reason}. Check that the file is a complete ONNX model (with its external data beside it).`, {
      cause: error,
      details: { path: modelPath, reason },
    });
  }
}
