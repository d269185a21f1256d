/** What {@link applyTransformerFusions} changed. */

/** Whether one attention block (one Softmax) was fused, and why not when it was not. */
export interface AttentionLayerReport {
  /** The block's position among the graph's Softmax nodes (0-based, graph order). */
  layer: string | number;
  attention: 'fused' | 'not-fused';
  /** Why the block was left as it was (the pattern step that did not match, and the node). */
  reason?: string;
}

/** Result of {@link applyTransformerFusions}. */
export interface FusionReport {
  /**
   * Fused nodes written, by fusion: `Attention`, `MultiHeadAttention`, `LayerNormalization`,
   * `SkipLayerNormalization`, `EmbedLayerNormalization`, `Gelu`, `BiasGelu`, `FastGelu` (absent
   * when zero).
   */
  fused: Record<string, number>;
  /** One entry per attention block found (per Softmax, in graph order). */
  layers: AttentionLayerReport[];
  /** Summary lines: blocks not fused, node count before and after. */
  notes: string[];
}
