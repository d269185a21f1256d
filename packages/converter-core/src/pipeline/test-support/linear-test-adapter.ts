/**
 * Test support (not exported): a real ConverterAdapter for pipeline tests. It recognises a
 * directory holding `linear.json`, "exports" by writing the MatMul+Add test model, and computes the
 * reference outputs in JavaScript at batch sizes 1 and 3.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ADAPTER_SPECIFICATION_VERSION, type ConverterAdapter, type DetectionResult, type ExportRequest, type ExportResult, type ModelSource, type ReferenceCase } from '../../adapter';
import { ConversionError } from '../../conversion-error';
import type { ProgressEvent } from '../../progress-event';
import { writeNpy } from '../../tensor/write-npy';
import { linearModel, linearReference, writeTestOnnxModel } from '../../validation/test-support/build-test-onnx-model';

export interface LinearTestAdapterBehaviour {
  /** Throw EXPORT_FAILED after writing the model file. */
  failAfterWrite?: boolean;
  /** After writing the model, wait until the request's signal aborts, then throw CANCELLED. */
  waitForAbort?: boolean;
  /** Add this to the reference outputs (makes validation fail). */
  referenceOffset?: number;
}

export class LinearTestAdapter implements ConverterAdapter {
  readonly specificationVersion = ADAPTER_SPECIFICATION_VERSION;
  readonly name = 'linear-test';
  readonly framework = 'pytorch' as const;
  exportCount = 0;
  lastRequest: ExportRequest | undefined;

  constructor(private readonly behaviour: LinearTestAdapterBehaviour = {}) {}

  detect(source: ModelSource): Promise<DetectionResult | undefined> {
    const recognised = source.kind === 'directory' && existsSync(path.join(source.path, 'linear.json'));
    return Promise.resolve(
      recognised ? { framework: 'pytorch', format: 'test-linear', architecture: 'LinearForSequenceClassification', task: 'text-classification', reason: 'linear.json is present' } : undefined,
    );
  }

  async *export(request: ExportRequest): AsyncGenerator<ProgressEvent, ExportResult, void> {
    this.exportCount += 1;
    this.lastRequest = request;
    const modelPath = path.join(request.outputDirectory, 'model.onnx');
    await writeTestOnnxModel(modelPath, linearModel());
    yield { type: 'percent', phase: 'export', percent: 50 };
    if (this.behaviour.failAfterWrite === true) throw new ConversionError('EXPORT_FAILED', 'The test exporter failed on purpose.');
    if (this.behaviour.waitForAbort === true) {
      await new Promise<void>((resolve) => {
        if (request.signal?.aborted === true) resolve();
        request.signal?.addEventListener('abort', () => resolve(), { once: true });
      });
      throw new ConversionError('CANCELLED', 'The test export was cancelled.');
    }
    const referenceCases: ReferenceCase[] = [];
    for (const batch of [1, 3]) {
      const x = Float32Array.from({ length: batch * 4 }, (_, index) => ((index * 7) % 11) / 5 - 1);
      const logits = linearReference(x, batch).map((value) => value + (this.behaviour.referenceOffset ?? 0));
      const inputPath = path.join(request.workDirectory, `x-${batch}.npy`);
      const outputPath = path.join(request.workDirectory, `logits-${batch}.npy`);
      await writeNpy(inputPath, { dtype: 'float32', shape: [batch, 4], data: x });
      await writeNpy(outputPath, { dtype: 'float32', shape: [batch, 3], data: logits });
      referenceCases.push({
        modelName: 'model',
        label: `batch_size=${batch}`,
        inputs: { x: { path: inputPath, dtype: 'float32', shape: [batch, 4] } },
        outputs: { logits: { path: outputPath, dtype: 'float32', shape: [batch, 3] } },
      });
    }
    return {
      files: [
        {
          name: 'model',
          path: modelPath,
          inputs: [{ name: 'x', dtype: 'float32', shape: ['batch_size', 4] }],
          outputs: [{ name: 'logits', dtype: 'float32', shape: ['batch_size', 3] }],
        },
      ],
      task: request.task ?? 'text-classification',
      architecture: 'LinearForSequenceClassification',
      opset: request.opset ?? 17,
      exporter: 'hand-written protobuf (test)',
      notes: ['test export'],
      toolVersions: { 'linear-test': '1.0.0' },
      referenceCases,
      peakRssBytes: 12_345_678,
      modelConfig: { vocab_size: 50 },
    };
  }
}
