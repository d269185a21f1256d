/** Whether a target onnxruntime can run a model, and what could be fixed. */
import type { ModelProto } from '@gpux/onnx';
import { forEachNode } from '@gpux/onnx';
import { onnxRuntimeRelease } from './onnxruntime-releases';
import { requiredIrVersion, type IrFeature } from './required-ir-version';
import { CONTRIB_OPERATORS_WITHOUT_CPU_KERNEL, KNOWN_DOMAINS, WEB_UNSUPPORTED_DOMAINS } from './unsupported-operators';

/** A runtime and version to check a model against. */
export interface TargetRuntime {
  runtime: 'onnxruntime-node' | 'onnxruntime-web';
  /** e.g. `'1.30.0'`. */
  version: string;
}

/** An operator the target cannot run. */
export interface UnsupportedOperator {
  domain: string;
  opType: string;
  count: number;
  reason: string;
}

/** What {@link checkTargetCompatibility} found. */
export interface TargetCompatibilityReport {
  target: TargetRuntime;
  /** Highest IR version the target reads. */
  maxIrVersion: number;
  /** Highest opset per domain the target implements (`''` is ai.onnx). */
  maxOpset: Record<string, number>;
  /** The model's IR version. */
  irVersion: number;
  /** The lowest IR version the model's content needs, and why. */
  requiredIrVersion: number;
  irFeatures: IrFeature[];
  irVersionTooNew: boolean;
  /** Opset imports above what the target implements: such models load only when they use no operator version newer than the target's. */
  opsetsTooNew: Array<{ domain: string; version: number; maxVersion: number }>;
  unsupportedOperators: UnsupportedOperator[];
  /** What `fixForTarget` can change. */
  fixes: string[];
  /** True when nothing blocks the model (opsetsTooNew is a warning). */
  compatible: boolean;
}

/**
 * Checks a model against a target runtime: the IR version it reads, the opsets it implements, and
 * operators it has no kernel for (com.microsoft operators without a CPU kernel, unknown custom
 * domains, and on the web the x86-only NCHWc operators).
 *
 * @throws {TypeError} when `model` or `target` is malformed; {@link RangeError} for an unknown runtime or version.
 * @example
 * ```ts
 * const report = checkTargetCompatibility(model, { runtime: 'onnxruntime-web', version: '1.20.0' });
 * if (report.irVersionTooNew) fixForTarget(model, { runtime: 'onnxruntime-web', version: '1.20.0' });
 * ```
 */
export function checkTargetCompatibility(model: ModelProto, target: TargetRuntime): TargetCompatibilityReport {
  if (model === null || typeof model !== 'object' || !Array.isArray(model.opsetImport)) throw new TypeError('checkTargetCompatibility: parameter "model" must be an ONNX ModelProto.');
  if (target?.runtime !== 'onnxruntime-node' && target?.runtime !== 'onnxruntime-web') {
    throw new RangeError(`checkTargetCompatibility: parameter "target.runtime" must be 'onnxruntime-node' or 'onnxruntime-web', received ${JSON.stringify(target?.runtime)}.`);
  }
  const release = onnxRuntimeRelease(target.version);
  const maxOpset: Record<string, number> = { '': release.opset, 'ai.onnx.ml': release.mlOpset, 'com.microsoft': 1 };
  const opsetsTooNew = model.opsetImport.flatMap((entry) => {
    const domain = entry.domain === 'ai.onnx' ? '' : entry.domain ?? '';
    const maxVersion = maxOpset[domain];
    return maxVersion !== undefined && (entry.version ?? 0) > maxVersion ? [{ domain, version: entry.version ?? 0, maxVersion }] : [];
  });
  const unsupported = new Map<string, UnsupportedOperator>();
  forEachNode(model, (node) => {
    const domain = node.domain === 'ai.onnx' ? '' : node.domain ?? '';
    const opType = node.opType ?? '';
    let reason: string | undefined;
    if (domain === 'com.microsoft' && CONTRIB_OPERATORS_WITHOUT_CPU_KERNEL.has(opType)) reason = `onnxruntime has no CPU kernel for com.microsoft ${opType} (${CONTRIB_OPERATORS_WITHOUT_CPU_KERNEL.get(opType)!}); it runs only on GPU execution providers`;
    else if (target.runtime === 'onnxruntime-web' && WEB_UNSUPPORTED_DOMAINS.has(domain)) reason = WEB_UNSUPPORTED_DOMAINS.get(domain)!;
    else if (!KNOWN_DOMAINS.has(domain) && !model.functions.some((entry) => entry.domain === domain && entry.name === opType)) reason = `domain "${domain}" is a custom-operator domain; register its library with the session`;
    if (reason === undefined) return;
    const key = `${domain}\u0000${opType}`;
    const entry = unsupported.get(key);
    if (entry === undefined) unsupported.set(key, { domain, opType, count: 1, reason });
    else entry.count += 1;
  });
  const irVersion = model.irVersion ?? 0;
  const required = requiredIrVersion(model);
  const irVersionTooNew = irVersion > release.irVersion;
  const fixes: string[] = [];
  if (irVersionTooNew && !required.unknownFields) {
    const blocking = required.features.filter((entry) => entry.irVersion > release.irVersion);
    if (blocking.length === 0) fixes.push(`Lower the IR version from ${irVersion} to ${release.irVersion}: the model uses nothing newer.`);
    else if (blocking.every((entry) => entry.feature.endsWith('metadata_props'))) fixes.push(`Drop debug metadata_props (${blocking.map((entry) => entry.feature).join(', ')}) and lower the IR version from ${irVersion} to ${release.irVersion}.`);
  }
  return {
    target: { runtime: target.runtime, version: target.version },
    maxIrVersion: release.irVersion,
    maxOpset,
    irVersion,
    requiredIrVersion: required.irVersion,
    irFeatures: required.features,
    irVersionTooNew,
    opsetsTooNew,
    unsupportedOperators: [...unsupported.values()],
    fixes,
    compatible: !irVersionTooNew && unsupported.size === 0,
  };
}
