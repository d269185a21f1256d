import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { findTestPython } from '@gpux/test-helpers';
import { ConversionError } from '../conversion-error';
import { ensurePythonEnvironment } from '../python/python-environment';
import { float16ToFloat32, float32ToFloat16 } from './float16-to-float32';
import { readNpy } from './read-npy';
import { writeNpy } from './write-npy';

/** The managed pytorch environment's interpreter (it has numpy), resolved once in `beforeAll`. */
let numpyPython: string;
beforeAll(async () => {
  numpyPython = await findTestPython('pytorch', { ensurePythonEnvironment });
});

function runPython(script: string, ...args: string[]): string {
  return execFileSync(numpyPython, ['-c', script, ...args], { encoding: 'utf8' });
}

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), 'gpux-npy-'));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('npy interop with numpy', () => {
  it('reads every supported dtype written by numpy.save, including format versions 2 and 3', async () => {
    runPython(
      `
import numpy as np, sys, os
d = sys.argv[1]
np.save(os.path.join(d, 'f32.npy'), np.array([[1.5, -2.25, 3.0], [4.0, 5.5, -6.125]], dtype=np.float32))
np.save(os.path.join(d, 'f16.npy'), np.array([0.5, -1.0, 65504.0, 6e-8], dtype=np.float16))
np.save(os.path.join(d, 'f64.npy'), np.array([1e300, -1e-300], dtype=np.float64))
np.save(os.path.join(d, 'i8.npy'), np.array([-128, 127], dtype=np.int8))
np.save(os.path.join(d, 'u8.npy'), np.array([0, 255], dtype=np.uint8))
np.save(os.path.join(d, 'i16.npy'), np.array([-32768, 32767], dtype=np.int16))
np.save(os.path.join(d, 'i32.npy'), np.array([[-7], [2147483647]], dtype=np.int32))
np.save(os.path.join(d, 'i64.npy'), np.array([-(2**62), 2**40 + 3], dtype=np.int64))
np.save(os.path.join(d, 'u64.npy'), np.array([2**64 - 1, 5], dtype=np.uint64))
np.save(os.path.join(d, 'bool.npy'), np.array([True, False, True], dtype=np.bool_))
np.save(os.path.join(d, 'scalar.npy'), np.float32(7.25))
np.save(os.path.join(d, 'empty.npy'), np.zeros((0, 4), dtype=np.float32))
with open(os.path.join(d, 'v2.npy'), 'wb') as f:
    np.lib.format.write_array(f, np.arange(6, dtype=np.int32).reshape(2, 3), version=(2, 0))
with open(os.path.join(d, 'v3.npy'), 'wb') as f:
    np.lib.format.write_array(f, np.arange(4, dtype=np.float64), version=(3, 0))
`,
      directory,
    );
    const read = (name: string) => readNpy(path.join(directory, name));

    const f32 = await read('f32.npy');
    expect(f32.dtype).toBe('float32');
    expect(f32.shape).toEqual([2, 3]);
    expect(Array.from(f32.data as Float32Array)).toEqual([1.5, -2.25, 3, 4, 5.5, -6.125]);

    const f16 = await read('f16.npy');
    expect(f16.dtype).toBe('float16');
    expect(f16.data).toBeInstanceOf(Uint16Array);
    const widened = float16ToFloat32(f16.data as Uint16Array);
    expect(Array.from(widened.slice(0, 3))).toEqual([0.5, -1, 65504]);
    expect(widened[3]).toBeCloseTo(5.96e-8, 9); // a subnormal half

    expect(Array.from((await read('f64.npy')).data as Float64Array)).toEqual([1e300, -1e-300]);
    expect(Array.from((await read('i8.npy')).data as Int8Array)).toEqual([-128, 127]);
    expect(Array.from((await read('u8.npy')).data as Uint8Array)).toEqual([0, 255]);
    expect(Array.from((await read('i16.npy')).data as Int16Array)).toEqual([-32768, 32767]);
    const i32 = await read('i32.npy');
    expect(i32.shape).toEqual([2, 1]);
    expect(Array.from(i32.data as Int32Array)).toEqual([-7, 2147483647]);
    expect(Array.from((await read('i64.npy')).data as BigInt64Array)).toEqual([-(2n ** 62n), 2n ** 40n + 3n]);
    expect(Array.from((await read('u64.npy')).data as BigUint64Array)).toEqual([2n ** 64n - 1n, 5n]);
    const flags = await read('bool.npy');
    expect(flags.dtype).toBe('bool');
    expect(Array.from(flags.data as Uint8Array)).toEqual([1, 0, 1]);
    const scalar = await read('scalar.npy');
    expect(scalar.shape).toEqual([]);
    expect(Array.from(scalar.data as Float32Array)).toEqual([7.25]);
    const empty = await read('empty.npy');
    expect(empty.shape).toEqual([0, 4]);
    expect(empty.data.length).toBe(0);
    const v2 = await read('v2.npy');
    expect(v2.shape).toEqual([2, 3]);
    expect(Array.from(v2.data as Int32Array)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(Array.from((await read('v3.npy')).data as Float64Array)).toEqual([0, 1, 2, 3]);
  });

  it('writes files that numpy.load reads back with the same dtype, shape and values', async () => {
    await writeNpy(path.join(directory, 'a.npy'), { dtype: 'float32', shape: [2, 2], data: Float32Array.from([0.25, -1, 3.5, 8]) });
    await writeNpy(path.join(directory, 'b.npy'), { dtype: 'int64', shape: [3], data: BigInt64Array.from([-5n, 0n, 2n ** 53n + 1n]) });
    await writeNpy(path.join(directory, 'c.npy'), { dtype: 'bool', shape: [1, 2], data: Uint8Array.from([0, 1]) });
    await writeNpy(path.join(directory, 'd.npy'), { dtype: 'float16', shape: [2], data: float32ToFloat16([1.5, -0.1]) });
    const output = runPython(
      `
import numpy as np, sys, os, json
d = sys.argv[1]
out = {}
for name in ['a', 'b', 'c', 'd']:
    x = np.load(os.path.join(d, name + '.npy'))
    out[name] = [str(x.dtype), list(x.shape), [str(v) for v in x.flatten().tolist()]]
print(json.dumps(out))
`,
      directory,
    );
    expect(JSON.parse(output)).toEqual({
      a: ['float32', [2, 2], ['0.25', '-1.0', '3.5', '8.0']],
      b: ['int64', [3], ['-5', '0', '9007199254740993']],
      c: ['bool', [1, 2], ['False', 'True']],
      d: ['float16', [2], ['1.5', '-0.0999755859375']],
    });
  });

  it('refuses Fortran-ordered and object arrays with INVALID_MODEL_FILE', async () => {
    runPython(
      `
import numpy as np, sys, os
d = sys.argv[1]
np.save(os.path.join(d, 'fortran.npy'), np.asfortranarray(np.ones((2, 3), dtype=np.float32)))
np.save(os.path.join(d, 'object.npy'), np.array([{'a': 1}], dtype=object), allow_pickle=True)
`,
      directory,
    );
    const fortranError = (await readNpy(path.join(directory, 'fortran.npy')).catch((caught: unknown) => caught)) as ConversionError;
    expect(fortranError.code).toBe('INVALID_MODEL_FILE');
    expect(fortranError.message).toContain('Fortran');
    const objectError = (await readNpy(path.join(directory, 'object.npy')).catch((caught: unknown) => caught)) as ConversionError;
    expect(objectError.code).toBe('INVALID_MODEL_FILE');
    expect(objectError.message).toContain('|O');
  });
});

describe('npy without numpy', () => {
  it('round-trips through writeNpy and readNpy, leaving no .incomplete file', async () => {
    const file = path.join(directory, 'x.npy');
    await writeNpy(file, { dtype: 'int32', shape: [2, 1, 2], data: Int32Array.from([1, -2, 3, -4]) });
    const tensor = await readNpy(file);
    expect(tensor).toEqual({ dtype: 'int32', shape: [2, 1, 2], data: Int32Array.from([1, -2, 3, -4]) });
    expect(existsSync(`${file}.incomplete`)).toBe(false);
  });

  it('rejects a truncated file and a non-npy file with INVALID_MODEL_FILE', async () => {
    const file = path.join(directory, 'x.npy');
    await writeNpy(file, { dtype: 'float64', shape: [4], data: Float64Array.from([1, 2, 3, 4]) });
    const { readFile } = await import('node:fs/promises');
    const bytes = await readFile(file);
    await writeFile(file, bytes.subarray(0, bytes.length - 3));
    const error = await readNpy(file).catch((caught: unknown) => caught);
    expect(ConversionError.hasCode(error, 'INVALID_MODEL_FILE')).toBe(true);
    expect((error as ConversionError).details).toMatchObject({ expectedBytes: 32, actualBytes: 29 });
    await writeFile(file, 'not a numpy file at all');
    await expect(readNpy(file)).rejects.toMatchObject({ code: 'INVALID_MODEL_FILE' });
  });

  it('rejects data whose length does not match the shape', async () => {
    await expect(writeNpy(path.join(directory, 'y.npy'), { dtype: 'float32', shape: [3], data: new Float32Array(2) })).rejects.toThrow(RangeError);
  });

  it('widens and narrows float16 exactly for representable values', () => {
    const values = [0, -0, 1, -2.5, 65504, Infinity, -Infinity, 2 ** -24];
    expect(Array.from(float16ToFloat32(float32ToFloat16(values)))).toEqual(values);
    expect(Number.isNaN(float16ToFloat32(float32ToFloat16([Number.NaN]))[0])).toBe(true);
  });
});
