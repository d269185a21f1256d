import type { PythonSettings } from '@gpux/converter-core';

/** Which `torch.onnx.export` path runs: dynamo (`torch.export`), TorchScript tracing, or dynamo with a TorchScript fallback. */
export type PytorchExporter = 'auto' | 'dynamo' | 'torchscript';

/** Options of {@link createPytorchAdapter}; per-request settings override them. */
export interface PytorchAdapterOptions {
  /** Default exporter when `adapterOptions.exporter` is not given. @default "auto" */
  exporter?: PytorchExporter;
  /** Default interpreter and environment settings, merged under `ExportRequest.python`. */
  python?: PythonSettings;
}

/**
 * Keys the PyTorch adapter reads from `ExportRequest.adapterOptions`.
 *
 * @example
 * ```ts
 * const adapterOptions: PytorchExportOptions = { module: 'my_models:build', allowPythonModule: true, dimSizes: { height: 64, width: 64 } };
 * ```
 */
export interface PytorchExportOptions {
  /** @default "auto": dynamo, and the TorchScript exporter when dynamo fails (the result's notes say why). */
  exporter?: PytorchExporter;
  /** `package.module:function` returning an `nn.Module` (for the `python-module` format). */
  module?: string;
  /** Directory put on `sys.path` before importing `module`. @default the directory of the source path */
  modulePath?: string;
  /** Keyword arguments passed to the module function. */
  moduleArguments?: Record<string, unknown>;
  /** Allow importing and running `module` (also allowed by `trustRemoteCode`). @default false */
  allowPythonModule?: boolean;
  /** Sizes of symbolic dims for the export sample and the first reference case (`{ height: 224 }`). */
  dimSizes?: Record<string, number>;
  /** Output names for sources that carry none (TorchScript, `.pt2`, modules). @default output / output_N */
  outputNames?: string[];
  /**
   * Weights larger than this many bytes go to ONNX external data (`<name>.onnx.data` beside the
   * `.onnx` file; a protobuf file cannot exceed 2 GiB). The result's `notes` name the data file.
   * @default 1900000000
   */
  externalDataThresholdBytes?: number;
}
