import { createInferenceSession, generateInputs, hostTensorToOrt, sessionInputSpecs, symbolicDimRole } from '@gpux/converter-core';

/** Options of {@link measureLatency}. */
export interface MeasureLatencyOptions {
  /** Timed runs; the median is reported. @default 10 */
  runs?: number;
  /** Untimed runs first (allocations, lazy kernel setup). @default 2 */
  warmupRuns?: number;
  /** Sizes of symbolic dims by role. @default `{ batch: 1, sequence: 32, height: 224, width: 224 }` */
  sizes?: { batch?: number; sequence?: number; height?: number; width?: number };
  /** Token ids of generated inputs are below this. @default 100 */
  vocabSize?: number;
  signal?: AbortSignal;
}

/** What {@link measureLatency} measured. */
export interface LatencyMeasurement {
  /** Median wall time of one `session.run`, in milliseconds. */
  medianMs: number;
  minMs: number;
  runs: number;
  /** The concrete input shapes used. */
  inputShapes: Record<string, number[]>;
}

/**
 * Times `session.run` of an ONNX model on onnxruntime-node (CPU, all graph optimizations, as an
 * application would run it) with generated inputs. A report figure, not a benchmark: few runs, one
 * input size.
 *
 * @throws ConversionError `RUNTIME_MISSING` or `INVALID_MODEL_FILE` from the session.
 * @example
 * ```ts
 * const { medianMs } = await measureLatency('out/onnx/model_int8.onnx', { runs: 20 });
 * ```
 */
export async function measureLatency(modelPath: string, options: MeasureLatencyOptions = {}): Promise<LatencyMeasurement> {
  const runs = options.runs ?? 10;
  if (!Number.isSafeInteger(runs) || runs < 1) throw new RangeError(`Parameter "runs" must be a positive integer, received ${String(runs)}.`);
  const sizes = { batch: 1, sequence: 32, height: 224, width: 224, ...options.sizes };
  const session = await createInferenceSession(modelPath, { graphOptimizationLevel: 'all' });
  try {
    const specs = sessionInputSpecs(session);
    const dims: Record<string, number> = {};
    for (const spec of specs) {
      for (const dim of spec.shape) {
        if (typeof dim !== 'string') continue;
        const role = symbolicDimRole(dim);
        if (role === 'batch' || role === 'sequence' || role === 'height' || role === 'width') dims[dim] = sizes[role];
      }
    }
    const inputs = generateInputs(specs, { dims, vocabSize: options.vocabSize });
    const feeds = Object.fromEntries(Object.entries(inputs).map(([name, tensor]) => [name, hostTensorToOrt(tensor)]));
    for (let run = 0; run < (options.warmupRuns ?? 2); run += 1) await session.run(feeds);
    const times: number[] = [];
    for (let run = 0; run < runs; run += 1) {
      options.signal?.throwIfAborted();
      const started = performance.now();
      await session.run(feeds);
      times.push(performance.now() - started);
    }
    times.sort((left, right) => left - right);
    const middle = Math.floor(times.length / 2);
    const medianMs = times.length % 2 === 1 ? (times[middle] as number) : ((times[middle - 1] as number) + (times[middle] as number)) / 2;
    return { medianMs, minMs: times[0] as number, runs, inputShapes: Object.fromEntries(Object.entries(inputs).map(([name, tensor]) => [name, [...tensor.shape]])) };
  } finally {
    await session.release();
  }
}
