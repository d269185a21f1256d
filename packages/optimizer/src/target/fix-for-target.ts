/** Fixes what can be fixed for a target runtime. */
import type { ModelProto } from '@gpux/onnx';
import { forEachNode } from '@gpux/onnx';
import { checkTargetCompatibility, type TargetCompatibilityReport, type TargetRuntime } from './check-target-compatibility';
import { requiredIrVersion } from './required-ir-version';

/** What {@link fixForTarget} did. */
export interface FixForTargetResult {
  changed: boolean;
  /** What was changed. */
  applied: string[];
  /** What still blocks or may block the target, and why it could not be fixed. */
  unfixable: string[];
  /** The check after the fixes. */
  report: TargetCompatibilityReport;
}

/** Options of {@link fixForTarget}. */
export interface FixForTargetOptions {
  /**
   * Drop metadata_props of nodes, graphs, value infos, tensors and functions when they alone keep
   * the IR version above the target's (exporters write them as debug information; inference does
   * not read them). The model's own metadata_props are kept. @default true
   */
  stripMetadata?: boolean;
}

const METADATA_FEATURES = new Set(['tensor metadata_props', 'graph metadata_props', 'value_info metadata_props', 'node metadata_props', 'function metadata_props']);

function stripMetadata(model: ModelProto): void {
  const graphs = new Set<NonNullable<ModelProto['graph']>>();
  forEachNode(model, (node, where) => {
    node.metadataProps = [];
    if (where.graph !== undefined) graphs.add(where.graph);
  });
  if (model.graph !== undefined) graphs.add(model.graph);
  for (const graph of graphs) {
    graph.metadataProps = [];
    for (const value of [...graph.input, ...graph.output, ...graph.valueInfo]) value.metadataProps = [];
    for (const tensor of graph.initializer) tensor.metadataProps = [];
  }
  for (const localFunction of model.functions) localFunction.metadataProps = [];
}

/**
 * Edits the model in place so the target can read it where that is safe: lowers the IR version
 * to the target's maximum when the model uses no feature of a newer IR (after dropping debug
 * metadata_props when those are the only such feature, unless `stripMetadata` is false). Operators without a
 * kernel, opsets above the target's, and IR features the target lacks are reported, not changed.
 *
 * @throws as {@link checkTargetCompatibility}.
 * @example
 * ```ts
 * const { applied, unfixable } = fixForTarget(model, { runtime: 'onnxruntime-node', version: '1.20.0' });
 * ```
 */
export function fixForTarget(model: ModelProto, target: TargetRuntime, options: FixForTargetOptions = {}): FixForTargetResult {
  const before = checkTargetCompatibility(model, target);
  const applied: string[] = [];
  const unfixable: string[] = [];
  if (before.irVersionTooNew) {
    let required = requiredIrVersion(model);
    const blocking = required.features.filter((entry) => entry.irVersion > before.maxIrVersion);
    if ((options.stripMetadata ?? true) && blocking.length > 0 && blocking.every((entry) => METADATA_FEATURES.has(entry.feature))) {
      stripMetadata(model);
      applied.push(`Dropped debug metadata_props (${blocking.map((entry) => entry.feature).join(', ')}), which need IR 10.`);
      required = requiredIrVersion(model);
    }
    if (required.unknownFields) {
      unfixable.push(`IR version ${before.irVersion} is above ${before.maxIrVersion}, but the model holds fields this library does not know, so lowering it is not safe; re-export with an older exporter.`);
    } else if (required.irVersion > before.maxIrVersion) {
      unfixable.push(`IR version ${before.irVersion} is above ${before.maxIrVersion} and the model needs IR ${required.irVersion} for ${required.features.filter((entry) => entry.irVersion > before.maxIrVersion).map((entry) => entry.feature).join(', ')}; use a newer onnxruntime.`);
    } else {
      model.irVersion = before.maxIrVersion;
      applied.push(`Lowered the IR version from ${before.irVersion} to ${before.maxIrVersion}.`);
    }
  }
  for (const opset of before.opsetsTooNew) {
    unfixable.push(`Opset ${opset.version} of domain "${opset.domain || 'ai.onnx'}" is above ${opset.maxVersion}: the model loads only if it uses no operator version newer than opset ${opset.maxVersion}; re-export with opset ${opset.maxVersion}.`);
  }
  for (const operator of before.unsupportedOperators) unfixable.push(`${operator.count} ${operator.domain}::${operator.opType} node(s): ${operator.reason}.`);
  return { changed: applied.length > 0, applied, unfixable, report: applied.length > 0 ? checkTargetCompatibility(model, target) : before };
}
