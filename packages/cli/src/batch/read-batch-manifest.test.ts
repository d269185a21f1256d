import { parseBatchManifest, splitWords } from './read-batch-manifest';

describe('parseBatchManifest', () => {
  it('reads one source a line with per-line options, skipping comments and blank lines', () => {
    const manifest = parseBatchManifest(
      [
        '# models to convert',
        'org/bert --optimize 2 --quantize int8,fp16 --name bert',
        '',
        "'./my models/resnet.onnx' --static-shapes batch_size=1 --no-validate   # trailing comment",
        'org/gpt2 --task text-generation-with-past --framework pt --opset 17 --atol 0.01 --trust-remote-code',
        'org/tiny --quantize q8 --min-cosine 0.97',
      ].join('\n'),
      'models.txt',
    );
    expect(manifest.defaults).toEqual({});
    expect(manifest.entries).toEqual([
      { source: 'org/bert', name: 'bert', options: { optimize: 'O2', quantize: ['int8', 'fp16'] } },
      { source: './my models/resnet.onnx', options: { staticShapes: { batch_size: 1 }, validate: false } },
      { source: 'org/gpt2', options: { task: 'text-generation-with-past', framework: 'pytorch', opset: 17, atol: 0.01, trustRemoteCode: true } },
      { source: 'org/tiny', options: { quantize: ['q8'], minCosine: 0.97 } },
    ]);
  });

  it('reads YAML and JSON manifests with defaults, by extension or by content', () => {
    const yaml = ['defaults:', '  optimize: O1', '  quantize: [int8]', 'models:', '  - org/a', '  - source: ./b.onnx', '    name: b', '    quantize: fp16', '    validate: false', '    staticShapes: { batch_size: 2 }'].join('\n');
    const expected = {
      defaults: { optimize: 'O1', quantize: ['int8'] },
      entries: [
        { source: 'org/a', options: {} },
        { source: './b.onnx', name: 'b', options: { quantize: ['fp16'], validate: false, staticShapes: { batch_size: 2 } } },
      ],
    };
    expect(parseBatchManifest(yaml, 'batch.yaml')).toEqual(expected);
    expect(parseBatchManifest(yaml, '-')).toEqual(expected);
    const json = JSON.stringify({ defaults: { optimize: 'O1', quantize: ['int8'] }, models: ['org/a', { source: './b.onnx', name: 'b', quantize: ['fp16'], validate: false, staticShapes: { batch_size: 2 } }] });
    expect(parseBatchManifest(json, '-')).toEqual(expected);
    expect(parseBatchManifest('["org/x"]', 'list.json').entries).toEqual([{ source: 'org/x', options: {} }]);
    expect(parseBatchManifest(JSON.stringify({ defaults: { minCosine: 0.95 }, models: [{ source: 'org/y', quantize: ['int8'], minCosine: 0.9 }] }))).toEqual({
      defaults: { minCosine: 0.95 },
      entries: [{ source: 'org/y', options: { quantize: ['int8'], minCosine: 0.9 } }],
    });
  });

  it('names the line or entry of a bad option or value', () => {
    expect(() => parseBatchManifest('org/a\norg/b --quantize int3\n')).toThrow(/^line 2: .*int3/);
    expect(() => parseBatchManifest('org/a --bogus\n')).toThrow("line 1: unknown option '--bogus'");
    expect(() => parseBatchManifest('org/a --min-cosine 1.5\n')).toThrow(/^line 1: .*1\.5/);
    expect(() => parseBatchManifest(JSON.stringify({ models: [{ source: 'a', minCosineSimilarity: 0.9 }] }))).toThrow(/models\[0\]: unknown option '--min-cosine-similarity'/);
    expect(() => parseBatchManifest('org/a extra-word\n')).toThrow(/line 1: too many arguments/);
    expect(() => parseBatchManifest('"org/a\n')).toThrow('line 1: unclosed " quote');
    expect(() => parseBatchManifest(JSON.stringify({ models: [{ source: 'a', optimize: 'O9' }] }))).toThrow(/models\[0\]: .*O9/);
    expect(() => parseBatchManifest(JSON.stringify({ models: [{ name: 'no source' }] }))).toThrow(/models\[0\]: expected a source/);
    expect(() => parseBatchManifest(JSON.stringify({ models: ['a'], defaults: { validate: 'no' } }))).toThrow(/"validate" must be true or false/);
    expect(() => parseBatchManifest('{"models": ', 'x.json')).toThrow(/x\.json: not valid JSON/);
    expect(() => parseBatchManifest('# nothing\n\n', 'empty.txt')).toThrow('empty.txt lists no models.');
    expect(() => parseBatchManifest('{"other": 1}')).toThrow(/"models" list/);
  });

  it('splits words on blanks, keeping quoted blanks', () => {
    expect(splitWords(`a "b c" 'd e'f  g`)).toEqual(['a', 'b c', 'd ef', 'g']);
    expect(splitWords('""')).toEqual(['']);
  });
});
