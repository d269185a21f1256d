/**
 * What each onnxruntime release reads: the highest ONNX IR version and opset per domain.
 *
 * Rows up to 1.20 come from onnxruntime's compatibility table
 * (https://onnxruntime.ai/docs/reference/compatibility.html#onnx-opset-support, source
 * https://github.com/microsoft/onnxruntime/blob/gh-pages/docs/reference/compatibility.md).
 * 1.22 reads IR 11 / opset 23 (ONNX 1.18). 1.21 and 1.23-1.29 are given the values of the
 * release before them (a conservative floor: a newer release reads at least as much). 1.30's IR
 * limit was measured here: onnxruntime-node 1.30.0 loads IR 13 models and rejects IR 14; its
 * opset row keeps 1.22's floor.
 */

/** One onnxruntime release's limits. */
export interface OnnxRuntimeRelease {
  /** `major.minor`. */
  version: string;
  /** Highest default-domain (ai.onnx) opset implemented. */
  opset: number;
  /** Highest ai.onnx.ml opset implemented. */
  mlOpset: number;
  /** Highest ONNX IR version read. */
  irVersion: number;
  /** Where the row comes from. */
  source: 'compatibility-table' | 'release' | 'measured' | 'floor';
}

/** The table, newest first. */
export const ONNXRUNTIME_RELEASES: readonly OnnxRuntimeRelease[] = [
  { version: '1.30', opset: 23, mlOpset: 5, irVersion: 13, source: 'measured' },
  { version: '1.22', opset: 23, mlOpset: 5, irVersion: 11, source: 'release' },
  { version: '1.21', opset: 21, mlOpset: 4, irVersion: 10, source: 'floor' },
  { version: '1.20', opset: 21, mlOpset: 4, irVersion: 10, source: 'compatibility-table' },
  { version: '1.19', opset: 21, mlOpset: 4, irVersion: 10, source: 'compatibility-table' },
  { version: '1.18', opset: 21, mlOpset: 4, irVersion: 10, source: 'compatibility-table' },
  { version: '1.17', opset: 20, mlOpset: 4, irVersion: 9, source: 'compatibility-table' },
  { version: '1.16', opset: 19, mlOpset: 3, irVersion: 9, source: 'compatibility-table' },
  { version: '1.15', opset: 19, mlOpset: 3, irVersion: 8, source: 'compatibility-table' },
  { version: '1.14', opset: 18, mlOpset: 3, irVersion: 8, source: 'compatibility-table' },
  { version: '1.13', opset: 17, mlOpset: 3, irVersion: 8, source: 'compatibility-table' },
  { version: '1.12', opset: 17, mlOpset: 3, irVersion: 8, source: 'compatibility-table' },
  { version: '1.11', opset: 16, mlOpset: 2, irVersion: 8, source: 'compatibility-table' },
  { version: '1.10', opset: 15, mlOpset: 2, irVersion: 8, source: 'compatibility-table' },
];

function parseVersion(version: string): [number, number] | undefined {
  const match = /^(\d+)\.(\d+)(?:\.\d+)?(?:[-+].*)?$/.exec(version);
  return match === null ? undefined : [Number(match[1]), Number(match[2])];
}

/**
 * The limits of an onnxruntime version (`'1.30.0'`, `'1.22'`): its own row, or the row of the
 * newest listed release before it (releases newer than the table get the newest row).
 *
 * @throws {RangeError} when the version is not `major.minor[.patch]` or older than 1.10.
 */
export function onnxRuntimeRelease(version: string): OnnxRuntimeRelease {
  const parsed = typeof version === 'string' ? parseVersion(version) : undefined;
  if (parsed === undefined) throw new RangeError(`Parameter "version" must look like "1.30.0", received ${JSON.stringify(version)}.`);
  const [major, minor] = parsed;
  const release = ONNXRUNTIME_RELEASES.find((row) => {
    const [rowMajor, rowMinor] = parseVersion(row.version)!;
    return major > rowMajor || (major === rowMajor && minor >= rowMinor);
  });
  if (release === undefined) throw new RangeError(`Parameter "version": onnxruntime ${version} is older than the oldest release this table knows (1.10).`);
  return release;
}
