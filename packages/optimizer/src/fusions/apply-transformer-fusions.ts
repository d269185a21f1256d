/**
 * O2 transformer fusions (issue 9): rewrites what today's exporters emit for transformer models
 * into onnxruntime's com.microsoft fused operators.
 */
import type { ModelProto } from '@gpux/onnx';
import { sortGraphTopologically } from '@gpux/onnx';
import { removeUnusedNodes } from '../passes/remove-unused-nodes';
import { fuseAttention } from './fuse-attention';
import { fuseEmbedLayerNormalization } from './fuse-embed-layer-normalization';
import { canonicalizeEinsumAttention } from './canonicalize-einsum-attention';
import { foldShapeComputations } from './fold-shape-computations';
import { fuseGelu } from './fuse-gelu';
import { flattenResidualLayerNormalization } from './flatten-residual-layer-normalization';
import { fuseDecomposedLayerNormalization, fuseSkipLayerNormalization, fuseTensorflowLayerNormalization } from './fuse-layer-normalization';
import { FusionGraph, MICROSOFT_DOMAIN } from './fusion-graph';
import type { FusionReport } from './fusion-report';

/** Options of {@link applyTransformerFusions}. */
export interface TransformerFusionOptions {
  /** Write FastGelu (tanh approximation) for exact GELU too: the O3 level. @default false */
  approximateGelu?: boolean;
  /** Attention heads; read from the graph's head-split Reshape when absent, checked against it when given. */
  numHeads?: number;
  /** Hidden size; read from the projection weights when absent, checked against them when given. */
  hiddenSize?: number;
  /** Folder of the model's external data (default: the folder `loadOnnxModel` read it from). */
  modelDirectory?: string;
  /**
   * Write com.microsoft SkipLayerNormalization for residual `LayerNormalization(a + b (+ bias))`.
   * Off by default: onnxruntime's CPU kernel for it measured several times slower than
   * Add + LayerNormalization (tools/bench/fusions/README.md), so by default the pair is kept, on a
   * 2-D view that onnxruntime's session optimizer does not re-fuse. Turn it on for GPU execution
   * providers, where the fused kernel saves a pass over the activations.
   * @default false
   */
  skipLayerNormalization?: boolean;
}

function checkPositiveInteger(value: number | undefined, name: string): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new RangeError(`applyTransformerFusions: option "${name}" must be a positive integer, got ${String(value)}.`);
  }
}

/**
 * Fuses transformer subgraphs into com.microsoft operators, **editing `model` in place**:
 * decomposed LayerNorm -> LayerNormalization; BERT embeddings -> EmbedLayerNormalization;
 * self-attention (Q/K/V projections, head split, QK^T with its scale, padding/causal mask,
 * Softmax, @V, head merge) -> Attention with packed QKV weights (or MultiHeadAttention);
 * GELU (erf) -> Gelu / BiasGelu, tanh GELU -> FastGelu (and erf GELU too with `approximateGelu`);
 * residual Add + LayerNormalization -> SkipLayerNormalization with `skipLayerNormalization`, else
 * kept as the (faster on CPU) pair in a form onnxruntime does not re-fuse. A block that does not match is
 * left untouched; the report lists each attention block with the reason it was not fused. Dead
 * nodes (the shape subgraphs the fused ops no longer need) are removed, Reshape targets that are
 * known from the inputs' symbolic dims are folded (foldShapeComputations) and the graph is sorted.
 * The result runs in onnxruntime (CPU and the other providers that implement these contrib ops);
 * validate it against the input model (compareOnnxModels).
 *
 * @throws {TypeError} when `model` has no graph.
 * @throws {RangeError} when `numHeads` or `hiddenSize` is not a positive integer.
 * @example
 * ```ts
 * const model = await loadOnnxModel('model.onnx');
 * const report = applyTransformerFusions(model);
 * console.log(report.fused.Attention, report.layers.filter((layer) => layer.attention === 'not-fused'));
 * await saveOnnxModel(model, 'model_o2.onnx');
 * ```
 */
export function applyTransformerFusions(model: ModelProto, options: TransformerFusionOptions = {}): FusionReport {
  if (model === null || typeof model !== 'object' || model.graph === undefined) {
    throw new TypeError('applyTransformerFusions: parameter "model" must be an ONNX ModelProto with a graph.');
  }
  checkPositiveInteger(options.numHeads, 'numHeads');
  checkPositiveInteger(options.hiddenSize, 'hiddenSize');
  const nodesBefore = model.graph.node.length;
  const opsetVersion = model.opsetImport.find((entry) => (entry.domain ?? '') === '' || entry.domain === 'ai.onnx')?.version ?? 0;
  const graph = new FusionGraph(model, options.modelDirectory);
  const fused: Record<string, number> = {};
  const add = (name: string, count: number): void => {
    if (count > 0) fused[name] = (fused[name] ?? 0) + count;
  };
  const notes: string[] = [];
  const cleanUp = (): void => {
    graph.refresh();
    removeUnusedNodes(model);
    graph.refresh();
  };

  add('LayerNormalization', fuseDecomposedLayerNormalization(graph));
  add('LayerNormalization', fuseTensorflowLayerNormalization(graph));
  cleanUp();
  add('EmbedLayerNormalization', fuseEmbedLayerNormalization(graph));
  cleanUp();
  const einsums = canonicalizeEinsumAttention(graph, Number(opsetVersion));
  if (einsums > 0) {
    notes.push(`${einsums} attention block(s) written as lowered einsums (tf2onnx's Keras MultiHeadAttention) were put back into the standard head layout before matching.`);
    // The old chains can stay alive only through Shape reads feeding other Reshapes; fold those.
    graph.refresh();
    foldShapeComputations(graph, Number(opsetVersion));
    cleanUp();
  }
  const attention = fuseAttention(graph, { opsetVersion: Number(opsetVersion), numHeads: options.numHeads, hiddenSize: options.hiddenSize });
  add('Attention', attention.attention);
  add('MultiHeadAttention', attention.multiHeadAttention);
  cleanUp();
  for (const [name, count] of Object.entries(fuseGelu(graph, { approximate: options.approximateGelu === true }))) add(name, count);
  cleanUp();
  if (options.skipLayerNormalization === true) {
    add('SkipLayerNormalization', fuseSkipLayerNormalization(graph));
  } else {
    const flattened = flattenResidualLayerNormalization(graph);
    if (flattened > 0) {
      notes.push(
        `${flattened} residual Add + LayerNormalization pairs kept unfused on a [-1, hidden] view: onnxruntime's CPU SkipLayerNormalization kernel is slower (pass skipLayerNormalization: true for GPU providers).`,
      );
    }
  }
  cleanUp();
  sortGraphTopologically(model.graph);
  graph.refresh();
  const folded = foldShapeComputations(graph, Number(opsetVersion));
  if (folded > 0) {
    notes.push(`${folded} Reshape target shapes folded (constant, or sliced from a graph input's shape): the Shape/Gather/Concat chains that computed them were removed.`);
    cleanUp();
    sortGraphTopologically(model.graph);
  }

  if (Object.keys(fused).length > 0 && !model.opsetImport.some((entry) => entry.domain === MICROSOFT_DOMAIN)) {
    model.opsetImport.push({ domain: MICROSOFT_DOMAIN, version: 1 });
  }
  const notFused = attention.layers.filter((layer) => layer.attention === 'not-fused').length;
  if (attention.layers.length === 0) notes.push('No Softmax found: the model has no attention blocks to fuse.');
  else if (notFused > 0) notes.push(`${notFused} of ${attention.layers.length} attention blocks were not fused; see layers[].reason.`);
  notes.push(`Graph went from ${nodesBefore} to ${model.graph.node.length} nodes.`);
  return { fused, layers: attention.layers, notes };
}
