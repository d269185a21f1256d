/** quantizeModel / quantizeModelIter: the public entry of the quantization modes. */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ProgressEvent } from '@gpux/converter-core';
import type { ModelProto } from '@gpux/onnx';
import { ConversionError, defaultValidationDims, drainEvents } from '@gpux/converter-core';
import { forEachNode, forEachTensor, isExternalTensor, loadOnnxModel, saveOnnxModel } from '@gpux/onnx';
import { applyQuantization, type QuantizationPassResult, type QuantizationPlan } from './apply-quantization';
import { calibrateActivations } from './calibrate-activations';
import { detectQuantizedModel } from './detect-quantized-model';
import { keptInFloatCosts } from './kept-in-float-cost';
import { budgetViolations, measureVariantAccuracy, runModelOnFeeds } from './measure-variant-accuracy';
import { QuantizationGraph } from './quantization-graph';
import type { QuantizedIntegerType } from './quantization-math';
import type { KeptInFloatCost, QuantizationFeeds, QuantizationResult, QuantizeModelCallOptions, QuantizeModelOptions, VariantAccuracy } from './quantization-options';
import { resolveQuantizationPlan } from './resolve-quantization-plan';
import { generateFeeds, openSession, sessionInputs } from './run-onnx-model';
import { searchAccuracyBudget } from './search-accuracy-budget';
import { nodeIdentifier, selectQuantizableNodes } from './select-quantizable-nodes';

/** Operators for which transformers.js's q8 picks uint8 weights (its scripts/quantize.py QUINT8_OPS). */
const QUINT8_OPS = new Set(['Conv', 'GroupQueryAttention', 'MultiHeadAttention']);

/** The weight type of a mode for this model. */
export function weightTypeForMode(model: ModelProto, mode: QuantizeModelOptions['mode']): QuantizedIntegerType {
  if (mode === 'uint8') return 'uint8';
  if (mode !== 'q8') return 'int8';
  let usesUint8 = false;
  forEachNode(model, (node) => {
    if (QUINT8_OPS.has(node.opType ?? '')) usesUint8 = true;
  });
  return usesUint8 ? 'uint8' : 'int8';
}

/** Bytes of a model file plus its external data files. */
async function modelBytesOnDisk(modelPath: string, model?: ModelProto): Promise<number> {
  const loaded = model ?? (await loadOnnxModel(modelPath));
  const files = new Set<string>();
  forEachTensor(loaded, (tensor) => {
    if (!isExternalTensor(tensor)) return;
    const location = tensor.externalData.find((entry) => entry.key === 'location')?.value;
    if (location !== undefined) files.add(path.join(path.dirname(modelPath), location));
  });
  let total = (await stat(modelPath)).size;
  for (const file of files) total += (await stat(file)).size;
  return total;
}

async function readModelInputs(modelPath: string): Promise<ReturnType<typeof sessionInputs>> {
  const session = await openSession(modelPath);
  try {
    return sessionInputs(session);
  } finally {
    await session.release();
  }
}

async function removeModel(modelPath: string): Promise<void> {
  await rm(modelPath, { force: true });
  await rm(`${modelPath}.data`, { force: true });
}

/**
 * Quantizes an ONNX model natively (no Python), checks it against the input on generated or given
 * inputs, and, with an accuracy budget, keeps the most sensitive nodes in float until it fits.
 *
 * @throws {TypeError | RangeError} for bad options, naming the option.
 * @throws {ConversionError} INVALID_MODEL_FILE for a corrupt model; UNSUPPORTED_FORMAT for an
 *   already-quantized model (unless `onAlreadyQuantized: 'copy'`); VALIDATION_FAILED when the budget
 *   cannot be met; CANCELLED when `signal` aborts. Nothing is left at `outputPath` on failure.
 */
export async function* quantizeModelIter(inputPath: string, outputPath: string, options: QuantizeModelOptions): AsyncGenerator<ProgressEvent, QuantizationResult, void> {
  if (typeof inputPath !== 'string' || inputPath === '') throw new TypeError(`quantizeModel: inputPath must be a non-empty string, got ${String(inputPath)}.`);
  if (typeof outputPath !== 'string' || outputPath === '') throw new TypeError(`quantizeModel: outputPath must be a non-empty string, got ${String(outputPath)}.`);
  if (path.resolve(inputPath) === path.resolve(outputPath)) throw new RangeError('quantizeModel: outputPath must differ from inputPath.');
  const started = Date.now();
  const signal = options.signal;
  yield { type: 'phase-start', phase: 'quantize', label: options.mode };
  const model = await loadOnnxModel(inputPath);
  const inputBytes = await modelBytesOnDisk(inputPath, model);
  const evidence = detectQuantizedModel(model);
  if (evidence.quantized) {
    const found = [...Object.keys(evidence.operators), ...evidence.integerWeights.map((name) => `integer weight ${name}`)].join(', ');
    if ((options.onAlreadyQuantized ?? 'error') === 'error') {
      throw new ConversionError('UNSUPPORTED_FORMAT', `${inputPath} is already quantized (${found}); quantizing it again would stack errors. Quantize the fp32 model instead, or pass onAlreadyQuantized: 'copy'.`, { details: { ...evidence } });
    }
    await saveOnnxModel(model, outputPath, { externalData: options.externalData ?? 'auto', signal });
    const note = `The input is already quantized (${found}); it was copied unchanged.`;
    yield { type: 'message', phase: 'quantize', level: 'warning', message: note };
    yield { type: 'phase-end', phase: 'quantize', label: options.mode, durationMs: Date.now() - started };
    return { outputPath, mode: options.mode, format: options.mode === 'q4' ? 'matmulnbits' : (options.format ?? 'qoperator'), quantizedNodes: [], skippedNodes: [], keptInFloat: [], keptInFloatCosts: [], alreadyQuantized: true, inputBytes, outputBytes: await modelBytesOnDisk(outputPath), notes: [note] };
  }
  const plan = resolveQuantizationPlan(options, weightTypeForMode(model, options.mode));
  const ownWorkDirectory = options.workDirectory === undefined;
  const workDirectory = options.workDirectory ?? (await mkdtemp(path.join(tmpdir(), 'gpux-quantize-')));
  const notes: string[] = [];
  try {
    const validate = options.validate !== false || options.accuracyBudget !== undefined;
    const needsInputs = validate || options.mode === 'static-int8';
    const inputs = needsInputs ? await readModelInputs(inputPath) : [];
    const feedOptions = { dims: options.dims, vocabSize: options.vocabSize };
    if (options.mode === 'static-int8') {
      const graph = new QuantizationGraph(model);
      const { selected } = selectQuantizableNodes(graph, graph.graph.node, plan.selection);
      const activations = [...new Set(graph.graph.node.filter((node, index) => selected.has(nodeIdentifier(node, index)) && node.opType !== 'Gather').map((node) => node.input[0]!))];
      const calibration = options.calibration ?? {};
      const samples: QuantizationFeeds[] = calibration.samples ?? Array.from({ length: calibration.sampleCount ?? 8 }, (_, index) => generateFeeds(inputs, { ...feedOptions, seed: 1000 + index }));
      if (calibration.samples === undefined) notes.push(`Calibrated on ${samples.length} generated inputs; pass calibration.samples with real data for representative ranges.`);
      yield { type: 'message', phase: 'quantize', level: 'info', message: `Calibrating ${activations.length} activation(s) (${calibration.method ?? 'minmax'}) on ${samples.length} sample(s)` };
      plan.activationRanges = await calibrateActivations(inputPath, activations, samples, {
        method: calibration.method ?? 'minmax',
        workDirectory,
        percentile: calibration.percentile,
        bins: calibration.bins,
        signal,
      });
    }
    // The accuracy check runs on the inputs the pipeline validates a variant with (converter-core's
    // compareOnnxModels: the two size assignments of defaultValidationDims, seeds 0 and 1, the last
    // batch row half padded), so a variant the budget accepts at one size is not refused at another.
    const feeds = !validate
      ? []
      : options.validationInputs ?? defaultValidationDims(inputs).map((dims, seed) => generateFeeds(inputs, { ...feedOptions, dims: { ...dims, ...options.dims }, seed }));
    const reference = validate ? await runModelOnFeeds(inputPath, feeds) : [];
    let first: QuantizationPassResult | undefined;
    let trialCount = 0;
    const runPass = async (target: string, keep: ReadonlySet<string>, only?: ReadonlySet<string>): Promise<{ pass: QuantizationPassResult; accuracy?: VariantAccuracy }> => {
      const fresh = first === undefined ? model : await loadOnnxModel(inputPath);
      const selection = only === undefined ? plan.selection : { ...plan.selection, nodesToQuantize: only };
      const pass = applyQuantization(fresh, { ...plan, selection, keepInFloat: keep }, path.dirname(path.resolve(inputPath)));
      first ??= pass;
      await saveOnnxModel(fresh, target, { externalData: options.externalData ?? 'auto', signal });
      return { pass, ...(validate ? { accuracy: await measureVariantAccuracy(target, feeds, reference) } : {}) };
    };
    let result = await runPass(outputPath, new Set());
    let keptInFloat: string[] = [];
    let keptInFloatCostList: KeptInFloatCost[] = [];
    yield { type: 'message', phase: 'quantize', level: 'info', message: `Quantized ${result.pass.quantizedNodes.length} node(s)` };
    const budget = options.accuracyBudget;
    if (budget !== undefined && result.accuracy !== undefined && budgetViolations(result.accuracy, budget).length > 0) {
      notes.push(`The fully quantized variant broke the accuracy budget (${budgetViolations(result.accuracy, budget).join(', ')}).`);
      const trial = async (keep: ReadonlySet<string>, only?: ReadonlySet<string>): Promise<VariantAccuracy> => {
        trialCount += 1;
        const target = path.join(workDirectory, `trial-${trialCount}.onnx`);
        try {
          return (await runPass(target, keep, only)).accuracy!;
        } finally {
          await removeModel(target);
        }
      };
      const search = yield* searchAccuracyBudget(result.pass.quantizedNodes.map((node) => node.name), budget, trial, options.maxNodesKeptInFloat ?? 32, signal);
      keptInFloat = search.keepInFloat;
      result = await runPass(outputPath, new Set(keptInFloat));
      keptInFloatCostList = keptInFloatCosts(await loadOnnxModel(inputPath), keptInFloat, options.mode, plan.blockSize, new Map(search.sensitivity.map((entry) => [entry.name, entry.loss])));
      const extra = keptInFloatCostList.reduce((total, cost) => total + cost.extraBytes, 0);
      notes.push(`Kept ${keptInFloat.length} node(s) in float to meet the budget, about ${extra} bytes more than fully quantized: ${keptInFloatCostList.map((cost) => `${cost.name} (${cost.opType}, ${cost.floatWeightBytes} float32 weight bytes, +${cost.extraBytes})`).join(', ')}.`);
    }
    notes.push(...result.pass.notes);
    const skipped = result.pass.skippedNodes;
    if (skipped.length > 0) notes.push(`${skipped.length} node(s) left in float: ${skipped.map((node) => `${node.name} (${node.reason})`).join('; ')}.`);
    yield { type: 'phase-end', phase: 'quantize', label: options.mode, durationMs: Date.now() - started };
    return {
      outputPath,
      mode: options.mode,
      format: options.mode === 'q4' ? 'matmulnbits' : plan.format,
      ...(options.mode === 'q4' ? {} : { weightType: plan.weightType }),
      quantizedNodes: result.pass.quantizedNodes,
      skippedNodes: skipped,
      keptInFloat,
      keptInFloatCosts: keptInFloatCostList,
      ...(result.accuracy === undefined ? {} : { accuracy: result.accuracy }),
      alreadyQuantized: false,
      inputBytes,
      outputBytes: await modelBytesOnDisk(outputPath),
      notes,
    };
  } catch (error) {
    await removeModel(outputPath);
    if (signal?.aborted === true && !ConversionError.hasCode(error, 'CANCELLED')) throw new ConversionError('CANCELLED', `Quantizing ${inputPath} was cancelled; no output was left.`, { cause: error });
    throw error;
  } finally {
    if (ownWorkDirectory) await rm(workDirectory, { recursive: true, force: true });
  }
}

/**
 * Awaitable form of {@link quantizeModelIter}.
 *
 * @example
 * ```ts
 * const result = await quantizeModel('onnx/model.onnx', 'onnx/model_quantized.onnx', { mode: 'q8' });
 * console.log(result.quantizedNodes.length, result.accuracy?.minCosineSimilarity);
 * ```
 */
export function quantizeModel(inputPath: string, outputPath: string, options: QuantizeModelCallOptions): Promise<QuantizationResult> {
  return drainEvents(quantizeModelIter(inputPath, outputPath, options), options.onProgress);
}

export type { QuantizationPlan };
