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
  /**
   * Run int8 matrix products (MatMulInteger, ConvInteger, DynamicQuantizeLSTM, QGemm, ...) without
   * the 16-bit saturation of onnxruntime's U8S8 kernels on x86-64 CPUs without VNNI (AVX2, AVX-512
   * before VNNI): sets onnxruntime's `session.x64quantprecision`, whose weight rewrite to uint8 runs
   * at the `'extended'` level, so a lower level is raised to it. GPUs and VNNI CPUs do not saturate,
   * and on them this changes nothing, so a quantized model's measured accuracy does not depend on
   * the CPU it is checked on. Use it for quantized candidates, not for the fp32 reference.
   * @default false
   */
  exactInt8?: boolean;
}

const LEVEL_ORDER = ['disabled', 'basic', 'extended', 'layout', 'all'] as const;

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
  const requested = options.graphOptimizationLevel ?? 'disabled';
  const exactInt8 = options.exactInt8 === true;
  const level = exactInt8 && LEVEL_ORDER.indexOf(requested) < LEVEL_ORDER.indexOf('extended') ? 'extended' : requested;
  try {
    return await ort.InferenceSession.create(modelPath, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: level,
      logSeverityLevel: 3,
      ...(exactInt8 ? { extra: { session: { x64quantprecision: '1' } } } : {}),
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
