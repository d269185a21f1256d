import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ExportRequest, ModelSource } from '../adapter';
import { ConversionError } from '../conversion-error';
import { drainEvents, type ProgressEvent } from '../progress-event';
import type { ConversionReport } from '../report/conversion-report';
import { converterCoreVersion } from '../report/package-version';
import { onnxRuntimeVersion } from '../runtime/load-onnx-runtime';
import { throwIfCancelled } from '../validation/throw-if-cancelled';
import type { ConversionCacheLike } from './conversion-cache-like';
import type { ConversionResult, ConvertCallbackOptions, ConvertOptions } from './convert-options';
import { assertOutputAvailable, copyDirectory, createBuildDirectory, publishBuildDirectory } from './output-staging';
import { runPhase, type PhaseRecord } from './phase-runner';
import { resolveModelSource } from './resolve-model-source';
import { selectAdapter } from './select-adapter';
import { CONVERSION_REPORT_FILE, GPUX_CONFIG_FILE } from './write-conversion-output';
import { completeConversion } from './complete-conversion';
import { applyStaticShapes } from './apply-static-shapes';
import { checkStaticShapes } from '@gpux/onnx';

type CacheKey = Parameters<ConversionCacheLike['findConversion']>[0];
type Staging = Awaited<ReturnType<ConversionCacheLike['beginConversion']>>;

/** The options that change a conversion's output: the conversion cache key's `options`. */
export function conversionCacheOptions(options: ConvertOptions): Record<string, unknown> {
  return {
    converterCore: converterCoreVersion(),
    adapters: options.adapters.map((adapter) => `${adapter.name}@${adapter.specificationVersion}`),
    framework: options.framework ?? 'auto',
    task: options.task,
    opset: options.opset,
    inputSpec: options.inputSpec,
    trustRemoteCode: options.trustRemoteCode ?? false,
    adapterOptions: options.adapterOptions,
    validate: options.validate ?? true,
    tolerances: options.tolerances,
    staticShapes: options.staticShapes,
    variants: (options.variants ?? []).map((stage) => ({
      name: stage.name,
      phase: stage.phase,
      fileSuffix: stage.fileSuffix,
      inputFrom: stage.inputFrom,
      options: stage.options,
      tolerances: stage.tolerances,
    })),
  };
}

function checkOptions(options: ConvertOptions): void {
  if (typeof options !== 'object' || options === null) throw new TypeError('Parameter "options" must be an object.');
  if (options.outputDirectory === undefined && options.cache === undefined) {
    throw new TypeError('Parameter "outputDirectory" is required when no "cache" is given.');
  }
  if (options.outputDirectory !== undefined && (typeof options.outputDirectory !== 'string' || options.outputDirectory === '')) {
    throw new TypeError(`Parameter "outputDirectory" must be a non-empty path, received ${JSON.stringify(options.outputDirectory)}.`);
  }
  if (options.opset !== undefined && (!Number.isInteger(options.opset) || options.opset < 7)) {
    throw new RangeError(`Parameter "opset" must be an integer of at least 7, received ${String(options.opset)}.`);
  }
  if (options.staticShapes !== undefined) checkStaticShapes(options.staticShapes);
}

function asCancellation(error: unknown, signal: AbortSignal | undefined): unknown {
  if (signal?.aborted !== true || ConversionError.hasCode(error, 'CANCELLED')) return error;
  return new ConversionError('CANCELLED', 'The conversion was cancelled; no output was written.', { cause: error });
}

async function* restoreFromCache(directory: string, outputDirectory: string | undefined, options: ConvertOptions, phases: PhaseRecord[]): AsyncGenerator<ProgressEvent, ConversionResult, void> {
  yield { type: 'message', phase: 'resolve', level: 'info', message: `Using the cached conversion in ${directory}` };
  let finalDirectory = directory;
  if (outputDirectory !== undefined) {
    yield* runPhase(phases, 'write', 'from cache', async function* () {
      const buildDirectory = await createBuildDirectory(outputDirectory);
      try {
        await copyDirectory(directory, buildDirectory, ['manifest.json']);
        throwIfCancelled(options.signal);
        await publishBuildDirectory(buildDirectory, outputDirectory, options.overwrite ?? false);
      } catch (error) {
        await rm(buildDirectory, { recursive: true, force: true });
        throw error;
      }
      yield* [];
    });
    finalDirectory = outputDirectory;
  }
  const report = JSON.parse(await readFile(path.join(finalDirectory, CONVERSION_REPORT_FILE), 'utf8')) as ConversionReport;
  const main = report.models.find((model) => model.variant === 'fp32') ?? report.models[0];
  return {
    directory: finalDirectory,
    modelPath: path.join(finalDirectory, ...(main?.path ?? 'onnx/model.onnx').split('/')),
    reportPath: path.join(finalDirectory, CONVERSION_REPORT_FILE),
    gpuxConfigPath: path.join(finalDirectory, GPUX_CONFIG_FILE),
    report,
    cached: true,
    cacheDirectory: directory,
  };
}

/**
 * Converts a model to validated ONNX: resolve the source (pulling it through a ModelManager when it
 * is a registry id) -> detect the adapter -> export -> validate against the source framework ->
 * run optimize/quantize variant stages -> validate each variant -> write configs, `gpux.yml` and
 * `conversion-report.json`. Everything is written into `<out>.incomplete-<random>` and renamed at
 * the end, so a failed or cancelled conversion leaves no output and the cache as it was.
 *
 * @throws ConversionError `OUTPUT_EXISTS`, `UNSUPPORTED_FORMAT`, `VALIDATION_FAILED`, `CANCELLED`,
 *   the adapter's codes (`EXPORT_FAILED`, `PYTHON_*`, ...); RegistryError from the model manager.
 * @example
 * ```ts
 * for await (const event of convertIter({ source: './bert', adapters: [pytorchAdapter], outputDirectory: './bert-onnx' })) { // pytorchAdapter from @gpux/pytorch-adapter
 *   if (event.type === 'phase-start') console.log(event.phase);
 * }
 * ```
 */
export async function* convertIter(options: ConvertOptions): AsyncGenerator<ProgressEvent, ConversionResult, void> {
  checkOptions(options);
  const { signal } = options;
  const phases: PhaseRecord[] = [];
  const outputDirectory = options.outputDirectory === undefined ? undefined : path.resolve(options.outputDirectory);
  throwIfCancelled(signal);
  if (outputDirectory !== undefined) await assertOutputAvailable(outputDirectory, options.overwrite ?? false);

  let workDirectory: string | undefined;
  let buildDirectory: string | undefined;
  let staging: Staging | undefined;
  let published = false;
  try {
    const source: ModelSource = yield* runPhase(phases, 'resolve', undefined, () => resolveModelSource(options.source, options.modelManagers ?? [], signal));
    let cacheKey: CacheKey | undefined;
    if (options.cache !== undefined) {
      if (source.revision === undefined) {
        if (outputDirectory === undefined) throw new TypeError('Parameter "outputDirectory" is required for a source without a revision (the cache cannot key it).');
        yield { type: 'message', phase: 'resolve', level: 'warning', message: `${source.path} has no revision; the conversion cache is not used.` };
      } else {
        cacheKey = { sourceId: source.id ?? source.path, revision: source.revision, options: conversionCacheOptions(options) };
        const hit = options.force === true ? undefined : await options.cache.findConversion(cacheKey);
        if (hit !== undefined) {
          const cached = yield* restoreFromCache(hit.directory, outputDirectory, options, phases);
          published = true;
          return cached;
        }
      }
    }
    throwIfCancelled(signal);
    const { adapter, detection } = yield* runPhase(phases, 'detect', undefined, async function* () {
      yield* [];
      return selectAdapter(options.adapters, source, options.framework);
    });

    workDirectory = await mkdtemp(path.join(os.tmpdir(), 'gpux-convert-'));
    if (outputDirectory !== undefined) buildDirectory = await createBuildDirectory(outputDirectory);
    else {
      staging = await options.cache!.beginConversion(cacheKey!);
      buildDirectory = staging.directory;
    }
    const onnxDirectory = path.join(buildDirectory, 'onnx');
    await mkdir(onnxDirectory, { recursive: true });
    const request: ExportRequest = {
      source,
      detection,
      outputDirectory: onnxDirectory,
      workDirectory,
      task: options.task,
      opset: options.opset,
      inputSpec: options.inputSpec,
      trustRemoteCode: options.trustRemoteCode ?? false,
      adapterOptions: options.adapterOptions,
      python: options.python,
      referenceCaseCount: (options.validate ?? true) ? 2 : 0,
      staticShapes: options.staticShapes,
      pythonWorkers: options.pythonWorkers,
      signal,
    };
    const exported = yield* runPhase(phases, 'export', adapter.name, () => adapter.export(request), (result) => result.peakRssBytes);
    throwIfCancelled(signal);
    const staticShapes = options.staticShapes;
    const exportResult =
      staticShapes === undefined
        ? exported
        : yield* runPhase(phases, 'export', 'static shapes', async function* () {
            yield* [];
            return applyStaticShapes(exported, staticShapes, { validate: options.validate ?? true, signal });
          });

    const written = yield* completeConversion({
      buildDirectory,
      workDirectory,
      source,
      detection,
      adapter,
      exportResult,
      phases,
      options,
      toolVersions: {
        node: process.version,
        '@gpux/converter-core': converterCoreVersion(),
        ...(onnxRuntimeVersion() === undefined ? {} : { 'onnxruntime-node': onnxRuntimeVersion() as string }),
      },
    });

    let directory = buildDirectory;
    let cacheDirectory: string | undefined;
    if (staging !== undefined) {
      directory = (await staging.commit({ toolVersions: written.report.toolVersions })).directory;
      cacheDirectory = directory;
      staging = undefined;
    } else if (outputDirectory !== undefined) {
      if (cacheKey !== undefined) {
        staging = await options.cache!.beginConversion(cacheKey);
        await copyDirectory(buildDirectory, staging.directory);
        throwIfCancelled(signal);
        cacheDirectory = (await staging.commit({ toolVersions: written.report.toolVersions })).directory;
        staging = undefined;
      }
      throwIfCancelled(signal);
      await publishBuildDirectory(buildDirectory, outputDirectory, options.overwrite ?? false);
      directory = outputDirectory;
    }
    published = true;
    return {
      directory,
      modelPath: path.join(directory, ...written.mainModelPath.split('/')),
      reportPath: path.join(directory, CONVERSION_REPORT_FILE),
      gpuxConfigPath: path.join(directory, GPUX_CONFIG_FILE),
      report: written.report,
      cached: false,
      ...(cacheDirectory === undefined ? {} : { cacheDirectory }),
    };
  } catch (error) {
    throw asCancellation(error, signal);
  } finally {
    if (staging !== undefined) await staging.abort();
    if (!published && buildDirectory !== undefined && outputDirectory !== undefined) await rm(buildDirectory, { recursive: true, force: true });
    if (workDirectory !== undefined) await rm(workDirectory, { recursive: true, force: true });
  }
}

/**
 * Awaitable form of {@link convertIter}; events go to `onProgress`.
 *
 * @throws as {@link convertIter}.
 * @example
 * ```ts
 * const result = await convert({
 *   source: 'sentence-transformers/all-MiniLM-L6-v2',
 *   modelManagers: [new HuggingFaceManager()],
 *   adapters: [pytorchAdapter], // from @gpux/pytorch-adapter (or createPytorchAdapter({ exporter: 'torchscript' }))
 *   outputDirectory: './minilm-onnx',
 *   onProgress: (event) => console.log(event),
 * });
 * console.log(result.report.validation);
 * ```
 */
export function convert(options: ConvertCallbackOptions): Promise<ConversionResult> {
  return drainEvents(convertIter(options), options.onProgress);
}
