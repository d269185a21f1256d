/**
 * onnxruntime's 'basic' graph optimizations, written to disk with `optimizedModelFilePath`, kept
 * only when the result stays portable. Measured with onnxruntime-node 1.30: 'basic' writes only
 * default-domain operators (MatMul+Add -> Gemm, Conv+BatchNormalization folded, Shape of static
 * shapes folded) but stamps opset imports for every domain it knows (ai.onnx.ml 5,
 * com.microsoft.nchwc, org.pytorch.aten, ...), which older runtimes reject; the original opset
 * imports, IR version and model metadata are therefore restored, and a result that uses a domain
 * the input did not import is discarded.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { ModelProto } from '@gpux/onnx';
import { createInferenceSession } from '@gpux/converter-core';
import { forEachNode, loadOnnxModel } from '@gpux/onnx';

/** The outcome of {@link runOnnxRuntimeBasic}. */
export interface OnnxRuntimeBasicResult {
  /** The optimized model, or undefined when it was not portable. */
  model: ModelProto | undefined;
  note: string;
}

/**
 * Opens `inputPath` in onnxruntime-node with graphOptimizationLevel 'basic', lets it write its
 * optimized graph under `workDirectory`, and returns it made portable again (see file comment).
 *
 * @throws ConversionError `RUNTIME_MISSING` without onnxruntime-node; `INVALID_MODEL_FILE` when onnxruntime refuses the model.
 */
export async function runOnnxRuntimeBasic(inputPath: string, original: ModelProto, workDirectory: string): Promise<OnnxRuntimeBasicResult> {
  const optimizedPath = path.join(workDirectory, `ort-basic-${process.pid}-${Date.now()}.onnx`);
  try {
    const session = await createInferenceSession(inputPath, { graphOptimizationLevel: 'basic', optimizedModelFilePath: optimizedPath });
    await session.release();
    const optimized = await loadOnnxModel(optimizedPath, { loadExternalData: true });
    const imported = new Set(original.opsetImport.map((entry) => entry.domain ?? ''));
    const foreign = new Set<string>();
    forEachNode(optimized, (node) => {
      const domain = node.domain ?? '';
      if (!imported.has(domain) && !(domain === 'ai.onnx' && imported.has(''))) foreign.add(`${domain}::${node.opType ?? ''}`);
    });
    if (foreign.size > 0) {
      return { model: undefined, note: `Discarded onnxruntime's 'basic' result: it uses operators of domains the model did not import (${[...foreign].join(', ')}).` };
    }
    optimized.opsetImport = original.opsetImport.map((entry) => ({ ...entry }));
    optimized.irVersion = original.irVersion;
    optimized.metadataProps = original.metadataProps;
    for (const key of ['producerName', 'producerVersion', 'domain', 'modelVersion', 'docString'] as const) {
      if (original[key] === undefined) delete optimized[key];
      else (optimized as unknown as Record<string, unknown>)[key] = original[key];
    }
    optimized.functions = optimized.functions.length > 0 ? optimized.functions : original.functions;
    return { model: optimized, note: "Applied onnxruntime's 'basic' graph optimizations (portable: default-domain operators only)." };
  } finally {
    await rm(optimizedPath, { force: true });
  }
}
