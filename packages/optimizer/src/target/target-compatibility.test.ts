import type { ModelProto } from '@gpux/onnx';
import { createTensor, loadOnnxModelFromBuffer, makeGraph, makeModel, makeNode, makeValueInfo, serializeOnnxModel } from '@gpux/onnx';
import { runOnnxModel } from '../passes/test-support/run-onnx-model';
import { checkTargetCompatibility } from './check-target-compatibility';
import { fixForTarget } from './fix-for-target';
import { onnxRuntimeRelease } from './onnxruntime-releases';

function reluModel(irVersion: number): ModelProto {
  return makeModel(makeGraph([makeNode('Relu', ['x'], ['y'])], 'relu', [makeValueInfo('x', 'float32', [3])], [makeValueInfo('y', 'float32', [3])]), { irVersion, opsetImports: [{ domain: '', version: 21 }] });
}

describe('target compatibility', () => {
  test('release table: documented rows, floors and the measured 1.30 row', () => {
    expect(onnxRuntimeRelease('1.20.1')).toMatchObject({ irVersion: 10, opset: 21 });
    expect(onnxRuntimeRelease('1.22.0')).toMatchObject({ irVersion: 11, opset: 23 });
    expect(onnxRuntimeRelease('1.25.0')).toMatchObject({ version: '1.22' });
    expect(onnxRuntimeRelease('1.30.0')).toMatchObject({ irVersion: 13, source: 'measured' });
    expect(onnxRuntimeRelease('1.17.3')).toMatchObject({ irVersion: 9, opset: 20 });
    expect(() => onnxRuntimeRelease('latest')).toThrow(/version/);
    expect(() => onnxRuntimeRelease('1.9.0')).toThrow(RangeError);
  });

  test('an IR 11 model that uses nothing newer is lowered to IR 10 and still runs', async () => {
    const model = reluModel(11);
    const target = { runtime: 'onnxruntime-node', version: '1.20.0' } as const;
    const report = checkTargetCompatibility(model, target);
    expect(report).toMatchObject({ maxIrVersion: 10, irVersion: 11, requiredIrVersion: 3, irVersionTooNew: true, compatible: false, unsupportedOperators: [] });
    expect(report.maxOpset['']).toBe(21);
    expect(report.fixes).toHaveLength(1);
    const result = fixForTarget(model, target);
    expect(result.applied).toEqual(['Lowered the IR version from 11 to 10.']);
    expect(result.report.compatible).toBe(true);
    const reloaded = loadOnnxModelFromBuffer(serializeOnnxModel(model));
    expect(reloaded.irVersion).toBe(10);
    const output = await runOnnxModel(reloaded, { x: { data: new Float32Array([-1, 0, 2]), dims: [3] } });
    expect(output.y!.values).toEqual([0, 0, 2]);
  });

  test('a float4 initializer needs IR 11: not lowered, reported as unfixable', () => {
    const model = reluModel(11);
    model.graph!.initializer.push(createTensor('packed', 23, [4], new Uint8Array([0x12, 0x34])));
    const result = fixForTarget(model, { runtime: 'onnxruntime-node', version: '1.20.0' });
    expect(result.changed).toBe(false);
    expect(model.irVersion).toBe(11);
    expect(result.unfixable[0]).toContain('element type 23');
  });

  test('operators without CPU kernels are listed; NCHWc only for the web; opset above the target is a warning', () => {
    const nodes = [
      makeNode('BiasAdd', ['x', 'b', 's'], ['a'], { domain: 'com.microsoft' }),
      makeNode('BiasAdd', ['a', 'b', 's'], ['a2'], { domain: 'com.microsoft' }),
      makeNode('ReorderInput', ['a2'], ['r'], { domain: 'com.microsoft.nchwc' }),
      makeNode('FastGelu', ['r'], ['y'], { domain: 'com.microsoft' }),
    ];
    const model = makeModel(makeGraph(nodes, 'contrib', [makeValueInfo('x', 'float32', [1, 4, 8])], [makeValueInfo('y', 'float32', [1, 4, 8])]), {
      irVersion: 10,
      opsetImports: [{ domain: '', version: 23 }, { domain: 'com.microsoft', version: 1 }, { domain: 'com.microsoft.nchwc', version: 1 }],
    });
    const web = checkTargetCompatibility(model, { runtime: 'onnxruntime-web', version: '1.20.0' });
    expect(web.unsupportedOperators.map(({ domain, opType, count }) => ({ domain, opType, count }))).toEqual([
      { domain: 'com.microsoft', opType: 'BiasAdd', count: 2 },
      { domain: 'com.microsoft.nchwc', opType: 'ReorderInput', count: 1 },
    ]);
    expect(web.opsetsTooNew).toEqual([{ domain: '', version: 23, maxVersion: 21 }]);
    expect(web.compatible).toBe(false);
    const node = checkTargetCompatibility(model, { runtime: 'onnxruntime-node', version: '1.30.0' });
    expect(node.unsupportedOperators.map((entry) => entry.opType)).toEqual(['BiasAdd']);
    expect(node.opsetsTooNew).toEqual([]);
    expect(() => checkTargetCompatibility(model, { runtime: 'tensorflow' as never, version: '1.0.0' })).toThrow(/target.runtime/);
  });
});

describe('fixForTarget with exporter metadata', () => {
  test('node metadata_props (IR 10) are dropped to reach IR 9 unless stripMetadata is false', () => {
    const model = reluModel(10);
    model.graph!.node[0]!.metadataProps.push({ key: 'pkg.torch.onnx.stack_trace', value: 'model.py:12' });
    model.metadataProps.push({ key: 'kept', value: 'yes' });
    const target = { runtime: 'onnxruntime-node', version: '1.17.0' } as const;
    expect(checkTargetCompatibility(model, target)).toMatchObject({ requiredIrVersion: 10, fixes: [expect.stringContaining('Drop debug metadata_props')] });
    const refused = fixForTarget(structuredClone(model), target, { stripMetadata: false });
    expect(refused.changed).toBe(false);
    expect(refused.unfixable[0]).toContain('node metadata_props');
    const result = fixForTarget(model, target);
    expect(result.applied).toEqual(['Dropped debug metadata_props (node metadata_props), which need IR 10.', 'Lowered the IR version from 10 to 9.']);
    expect(model.graph!.node[0]!.metadataProps).toEqual([]);
    expect(model.metadataProps).toEqual([{ key: 'kept', value: 'yes' }]);
    expect(model.irVersion).toBe(9);
  });
});
