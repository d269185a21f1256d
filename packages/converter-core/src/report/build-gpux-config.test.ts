import { parse } from 'yaml';
import { buildGpuxConfig, gpuxModelName, renderGpuxConfig, type GpuxConfigInput } from './build-gpux-config';

// The keys of GPUX's gpux.yml schema (issue 8): name, version, description, model {source, format},
// inputs/outputs (name, type, shape, required, max_length / labels), runtime {gpu {backend}},
// preprocessing {tokenizer, max_length, resize, normalize, sampling_rate, custom}, metadata.
const topLevelKeys = ['name', 'version', 'description', 'model', 'inputs', 'outputs', 'runtime', 'preprocessing', 'metadata'];

const textInput = (overrides: Partial<GpuxConfigInput> = {}): GpuxConfigInput => ({
  name: 'tiny-bert',
  sourceId: 'org/tiny-bert',
  revision: '0123456789abcdef0123',
  task: 'text-classification',
  architecture: 'BertForSequenceClassification',
  modelPath: 'onnx/model.onnx',
  inputs: [
    { name: 'input_ids', dtype: 'int64', shape: ['batch_size', 'sequence_length'] },
    { name: 'attention_mask', dtype: 'int64', shape: ['batch_size', 'sequence_length'] },
  ],
  outputs: [{ name: 'logits', dtype: 'float32', shape: ['batch_size', 2] }],
  configs: { config: { id2label: { 1: 'positive', 0: 'negative' }, max_position_embeddings: 512 }, tokenizerConfig: { model_max_length: 128 }, hasTokenizerJson: true },
  variants: { 'model:quantize-int8': 'onnx/model_int8.onnx' },
  ...overrides,
});

describe('buildGpuxConfig', () => {
  it('writes a text classifier in GPUX schema: integer shapes (-1 dynamic), names kept in metadata, max_length on text inputs, labels on logits', () => {
    const document = parse(renderGpuxConfig(buildGpuxConfig(textInput()))) as Record<string, unknown>;
    expect(Object.keys(document)).toEqual(topLevelKeys);
    expect(document).toEqual({
      name: 'tiny-bert',
      version: '1.0.0',
      description: 'BertForSequenceClassification converted to ONNX from org/tiny-bert@0123456789ab by GPUX Convert (task: text-classification)',
      model: { source: './onnx/model.onnx', format: 'onnx' },
      inputs: [
        { name: 'input_ids', type: 'int64', shape: [-1, -1], required: true, max_length: 128 },
        { name: 'attention_mask', type: 'int64', shape: [-1, -1], required: true, max_length: 128 },
      ],
      outputs: [{ name: 'logits', type: 'float32', shape: [-1, 2], labels: ['negative', 'positive'] }],
      runtime: { gpu: { backend: 'auto' } },
      preprocessing: { tokenizer: './tokenizer.json', max_length: 128 },
      metadata: {
        source_model: 'org/tiny-bert',
        source_revision: '0123456789abcdef0123',
        task: 'text-classification',
        architecture: 'BertForSequenceClassification',
        variants: { 'model:quantize-int8': 'onnx/model_int8.onnx' },
        symbolic_shapes: {
          inputs: { input_ids: ['batch_size', 'sequence_length'], attention_mask: ['batch_size', 'sequence_length'] },
          outputs: { logits: ['batch_size', 2] },
        },
        gpux_runtime: {
          written_for: '0.1.1',
          runnable: false,
          note: expect.stringContaining('these are dynamic: batch_size, sequence_length') as unknown,
        },
        converted_by: 'gpux-convert',
      },
    });
  });

  it('with static shapes: integer dims only, the sizes and the batch as runtime.batch_size, a memory hint, and runnable by GPUX', () => {
    const document = buildGpuxConfig(
      textInput({
        inputs: [{ name: 'input_ids', dtype: 'int64', shape: [1, 16] }],
        outputs: [{ name: 'logits', dtype: 'float32', shape: [1, 2] }],
        staticShapes: { batch_size: 1, sequence_length: 16 },
        modelBytes: 700 * 1024 ** 2,
      }),
    );
    expect(document.inputs).toEqual([{ name: 'input_ids', type: 'int64', shape: [1, 16], required: true, max_length: 128 }]);
    expect(document.runtime).toEqual({ gpu: { memory: '2GB', backend: 'auto' }, batch_size: 1 });
    const metadata = document.metadata as Record<string, unknown>;
    expect(metadata.static_shapes).toEqual({ batch_size: 1, sequence_length: 16 });
    expect(metadata).not.toHaveProperty('symbolic_shapes');
    expect(metadata.gpux_runtime).toEqual({ written_for: '0.1.1', runnable: true });
  });

  it('keeps labels off outputs of tasks that are not classification and names the tokenizer by id without tokenizer.json', () => {
    const document = buildGpuxConfig(textInput({ task: 'feature-extraction', configs: { config: { id2label: { 0: 'a' } }, tokenizerConfig: { model_max_length: 1e30 }, hasTokenizerJson: false } }));
    expect(document.outputs).toEqual([{ name: 'logits', type: 'float32', shape: [-1, 2] }]);
    expect(document.preprocessing).toEqual({ tokenizer: 'org/tiny-bert' });
    expect((document.inputs as Array<Record<string, unknown>>)[0]).not.toHaveProperty('max_length');
    const local = buildGpuxConfig(textInput({ sourceId: '/models/tiny-bert', configs: { tokenizerConfig: {}, hasTokenizerJson: false } }));
    expect(local.preprocessing).toEqual({ tokenizer: './' });
  });

  it('writes image resize and normalization, with mean, std and rescale factor under custom', () => {
    const document = buildGpuxConfig({
      name: 'tiny-vit',
      sourceId: 'org/tiny-vit',
      task: 'image-classification',
      modelPath: 'onnx/model.onnx',
      inputs: [{ name: 'pixel_values', dtype: 'float32', shape: ['batch_size', 3, 224, 224] }],
      outputs: [{ name: 'logits', dtype: 'float32', shape: ['batch_size', 2] }],
      configs: {
        config: { id2label: { 0: 'cat', 1: 'dog' } },
        preprocessorConfig: { size: { height: 224, width: 192 }, image_mean: [0.5, 0.5, 0.5], image_std: [0.5, 0.5, 0.5], rescale_factor: 1 / 255 },
        hasTokenizerJson: false,
      },
    });
    expect(document.preprocessing).toEqual({ resize: [224, 192], normalize: 'custom', custom: { image_mean: [0.5, 0.5, 0.5], image_std: [0.5, 0.5, 0.5], rescale_factor: 1 / 255 } });
    expect(document.inputs).toEqual([{ name: 'pixel_values', type: 'float32', shape: [-1, 3, 224, 224], required: true }]);
    expect(document.outputs).toEqual([{ name: 'logits', type: 'float32', shape: [-1, 2], labels: ['cat', 'dog'] }]);
    const imagenet = buildGpuxConfig({
      ...textInput(),
      configs: { preprocessorConfig: { crop_size: 224, image_mean: [0.485, 0.456, 0.406], image_std: [0.229, 0.224, 0.225] }, hasTokenizerJson: false },
    });
    expect((imagenet.preprocessing as Record<string, unknown>).normalize).toBe('imagenet');
    expect((imagenet.preprocessing as Record<string, unknown>).resize).toEqual([224, 224]);
  });

  it('writes the audio sampling rate and feature size under custom (GPUX\'s PreprocessingConfig has no audio fields)', () => {
    const rendered = renderGpuxConfig(
      buildGpuxConfig({
        name: 'tiny-wav2vec2',
        sourceId: 'org/tiny-wav2vec2',
        task: 'audio-classification',
        modelPath: 'onnx/model.onnx',
        inputs: [{ name: 'input_values', dtype: 'float32', shape: ['batch_size', 'sequence_length'] }],
        outputs: [{ name: 'logits', dtype: 'float32', shape: ['batch_size', 2] }],
        configs: { preprocessorConfig: { sampling_rate: 16000, feature_size: 1 }, hasTokenizerJson: false },
      }),
    );
    expect(rendered.match(/sampling_rate/g)).toHaveLength(1);
    expect((parse(rendered) as { preprocessing: unknown }).preprocessing).toEqual({ custom: { sampling_rate: 16000, feature_size: 1 } });
  });
});

describe('gpuxModelName', () => {
  it('takes the last part of a registry id with its dots, and a file name without its extension', () => {
    expect(gpuxModelName({ id: 'Qwen/Qwen2.5-0.5B', path: '/cache/snapshots/abc', kind: 'directory' })).toBe('Qwen2.5-0.5B');
    expect(gpuxModelName({ path: '/models/resnet.v2.pt2', kind: 'file' })).toBe('resnet.v2');
    expect(gpuxModelName({ id: '/models/bert', path: '/models/bert', kind: 'directory' })).toBe('bert');
  });
});
