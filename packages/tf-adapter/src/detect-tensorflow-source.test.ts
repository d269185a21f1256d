import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { detectTensorflowSource } from './detect-tensorflow-source';
import { makeTemporaryDirectory } from './test-support/tensorflow-fixtures';

let root = '';
let cleanup: () => Promise<void> = async () => {};

beforeAll(async () => {
  ({ directory: root, cleanup } = await makeTemporaryDirectory('gpux-tf-detect-'));
});

afterAll(async () => {
  await cleanup();
});

async function file(name: string, content: Buffer | string): Promise<string> {
  const filePath = path.join(root, name);
  await mkdir(path.dirname(filePath), { recursive: true });
  await writeFile(filePath, content);
  return filePath;
}

async function formatOf(target: string, kind: 'file' | 'directory' = 'file'): Promise<string | undefined> {
  return (await detectTensorflowSource({ path: target, kind }))?.format;
}

describe('detectTensorflowSource', () => {
  it('recognises each TensorFlow format by its bytes and layout', async () => {
    await file('sm/saved_model.pb', Buffer.from([0x08, 0x01]));
    expect(await formatOf(path.join(root, 'sm'), 'directory')).toBe('tf-savedmodel');
    const keras = Buffer.concat([Buffer.from('PK\u0003\u0004', 'latin1'), Buffer.alloc(64), Buffer.from('metadata.jsonconfig.jsonmodel.weights.h5')]);
    expect(await formatOf(await file('m.keras', keras))).toBe('keras');
    const hdf5 = Buffer.concat([Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(100)]);
    expect(await formatOf(await file('m.h5', hdf5))).toBe('tf-h5');
    expect(await formatOf(await file('graph.pb', Buffer.from([0x0a, 0x02])))).toBe('tf-frozen-graph');
    expect(await formatOf(await file('m.tflite', Buffer.concat([Buffer.alloc(4), Buffer.from('TFL3'), Buffer.alloc(8)])))).toBe('tflite');
    const tfjs = JSON.stringify({ format: 'graph-model', modelTopology: { node: [] }, weightsManifest: [] });
    expect(await formatOf(await file('js/model.json', tfjs))).toBe('tfjs');
    expect(await formatOf(path.join(root, 'js'), 'directory')).toBe('tfjs');
  });

  it('recognises a Hugging Face folder with TensorFlow weights and reads its config', async () => {
    await file('hf/config.json', JSON.stringify({ architectures: ['BertModel'], model_type: 'bert' }));
    await file('hf/tf_model.h5', Buffer.from([0x89, 0x48, 0x44, 0x46]));
    const detection = await detectTensorflowSource({ path: path.join(root, 'hf'), kind: 'directory' });
    expect(detection).toMatchObject({ framework: 'tensorflow', format: 'hf-tensorflow', architecture: 'TFBertModel', modelType: 'bert' });
  });

  it('declines files that only look like TensorFlow models', async () => {
    expect(await formatOf(await file('zip.keras', Buffer.from('not a zip')))).toBeUndefined();
    expect(await formatOf(await file('fake.h5', Buffer.from('text')))).toBeUndefined();
    expect(await formatOf(await file('fake.tflite', Buffer.alloc(16)))).toBeUndefined();
    expect(await formatOf(await file('other/model.json', JSON.stringify({ name: 'x' })))).toBeUndefined();
    expect(await formatOf(path.join(root, 'missing.keras'))).toBeUndefined();
    await mkdir(path.join(root, 'empty'));
    expect(await formatOf(path.join(root, 'empty'), 'directory')).toBeUndefined();
  });

  it('throws a TypeError naming source.path for a bad argument', async () => {
    await expect(detectTensorflowSource({ path: '', kind: 'file' })).rejects.toThrow(/source\.path/);
  });
});
