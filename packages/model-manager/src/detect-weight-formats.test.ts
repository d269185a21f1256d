import { detectWeightFormats, inferTaskFromArchitectures } from './index';

describe('detectWeightFormats', () => {
  it('recognises every format from file names', () => {
    expect(
      detectWeightFormats([
        'onnx/model.onnx',
        'model-00001-of-00002.safetensors',
        'pytorch_model-00001-of-00002.bin',
        'traced.pt',
        'weights.pth',
        'exported.pt2',
        'saved/saved_model.pb',
        'tf_model.h5',
        'model.keras',
        'tfjs\\model.json',
        'tfjs\\group1-shard1of1.bin',
        'lite/model.tflite',
      ]),
    ).toEqual(['safetensors', 'pytorch-bin', 'torchscript', 'torch-export', 'tf-savedmodel', 'tf-h5', 'keras', 'tfjs', 'tflite', 'onnx']);
  });

  it('ignores lookalikes', () => {
    expect(detectWeightFormats(['config.json', 'model.json', 'training_args.bin', 'tokenizer.json', 'saved_model.txt'])).toEqual([]);
    // model.json counts as TF.js only next to its weight shards.
    expect(detectWeightFormats(['a/model.json', 'b/group1-shard1of2.bin'])).toEqual([]);
    expect(detectWeightFormats(['SAVED_MODEL.PBTXT', 'Model.ONNX'])).toEqual(['tf-savedmodel', 'onnx']);
  });
});

describe('inferTaskFromArchitectures', () => {
  it.each([
    [['BertForMaskedLM'], undefined, 'fill-mask'],
    [['DistilBertForSequenceClassification'], undefined, 'text-classification'],
    [['RobertaForTokenClassification'], undefined, 'token-classification'],
    [['BertForQuestionAnswering'], undefined, 'question-answering'],
    [['LlamaForCausalLM'], undefined, 'text-generation'],
    [['GPT2LMHeadModel'], 'gpt2', 'text-generation'],
    [['TFGPT2LMHeadModel'], 'gpt2', 'text-generation'],
    [['ViTForImageClassification'], 'vit', 'image-classification'],
    [['WhisperForConditionalGeneration'], 'whisper', 'automatic-speech-recognition'],
    [['T5ForConditionalGeneration'], 't5', 'text2text-generation'],
    [['Wav2Vec2ForCTC'], 'wav2vec2', 'automatic-speech-recognition'],
    [['HubertForAudioClassification'], undefined, 'audio-classification'],
    [['MarianMTModel'], 'marian', 'translation'],
    [['BertModel'], 'bert', 'feature-extraction'],
    [['BertForMultipleChoice'], 'bert', 'multiple-choice'],
    [['DetrForObjectDetection'], 'detr', 'object-detection'],
    [['SegformerForSemanticSegmentation'], 'segformer', 'image-segmentation'],
    [['GPT2DoubleHeadsModel'], 'gpt2', undefined],
    [['ClvpModelForConditionalGeneration'], 'clvp', undefined],
    [['LlavaForConditionalGeneration'], 'llava', undefined],
    [['SomethingElse', 'BertModel'], undefined, 'feature-extraction'],
    [[], undefined, undefined],
  ])('%j (%s) -> %s', (architectures, modelType, task) => {
    expect(inferTaskFromArchitectures(architectures, modelType)).toBe(task);
  });
});
