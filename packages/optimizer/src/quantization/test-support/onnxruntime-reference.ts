/** onnxruntime's Python quantizer, run in a managed environment: the reference our int8 files are compared with. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { ensurePythonEnvironment } from '@gpux/converter-core';
import { findTestPython } from '@gpux/test-helpers';

const run = promisify(execFile);
const fixtures = path.join(__dirname, '..', 'test-fixtures');

/**
 * A Python with onnxruntime (test-helpers' `onnxruntime-reference` set): GPUX_TEST_ONNXRUNTIME_PYTHON,
 * else the managed environment of test-fixtures/onnxruntime-reference-requirements.txt.
 */
export function onnxruntimePython(): Promise<string> {
  return findTestPython('onnxruntime-reference', { ensurePythonEnvironment });
}

/** Runs onnxruntime's `quantize_dynamic` on `source` with `python`; returns the file size and op counts it wrote. */
export async function referenceQuantizeDynamic(python: string, source: string, target: string, weightType: 'QInt8' | 'QUInt8'): Promise<{ bytes: number; ops: Record<string, number> }> {
  const { stdout } = await run(python, [path.join(fixtures, 'quantize_dynamic_reference.py'), source, target, weightType], { maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as { bytes: number; ops: Record<string, number> };
}
