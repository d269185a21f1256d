/** Tasks the PyTorch adapter exports. */
export const PYTORCH_TASKS = [
  'feature-extraction',
  'fill-mask',
  'text-classification',
  'token-classification',
  'question-answering',
  'text-generation',
  'text-generation-with-past',
  'image-classification',
  'automatic-speech-recognition',
  'audio-classification',
  'multiple-choice',
  'semantic-segmentation',
  'object-detection',
  'text2text-generation',
  'zero-shot-image-classification',
] as const;

/** A task the PyTorch adapter exports. */
export type PytorchTask = (typeof PYTORCH_TASKS)[number];

const suffixes: Array<[string, PytorchTask]> = [
  ['ForMaskedLM', 'fill-mask'],
  ['ForSequenceClassification', 'text-classification'],
  ['ForTokenClassification', 'token-classification'],
  ['ForQuestionAnswering', 'question-answering'],
  ['ForCausalLM', 'text-generation-with-past'],
  ['LMHeadModel', 'text-generation-with-past'],
  ['ForImageClassification', 'image-classification'],
  ['ForImageClassificationWithTeacher', 'image-classification'],
  ['ForCTC', 'automatic-speech-recognition'],
  ['ForSpeechSeq2Seq', 'automatic-speech-recognition'],
  ['ForAudioClassification', 'audio-classification'],
  ['ForMultipleChoice', 'multiple-choice'],
  ['ForSemanticSegmentation', 'semantic-segmentation'],
  ['ForObjectDetection', 'object-detection'],
];

/** `model_type`s of encoder-decoder text models whose `...ForConditionalGeneration` (or `MarianMTModel`) is text2text-generation. */
const textSeq2seqModelTypes = new Set([
  't5', 'mt5', 'umt5', 'longt5', 'bart', 'mbart', 'marian', 'pegasus', 'pegasus_x', 'blenderbot', 'blenderbot-small',
  'led', 'm2m_100', 'nllb-moe', 'plbart', 'fsmt', 'mvp', 'prophetnet', 'bigbird_pegasus', 'switch_transformers',
]);

/** `model_type`s of audio encoders whose `...ForSequenceClassification` classifies audio, not text. */
const audioModelTypes = new Set([
  'wav2vec2',
  'wav2vec2-conformer',
  'wav2vec2-bert',
  'hubert',
  'wavlm',
  'data2vec-audio',
  'unispeech',
  'unispeech-sat',
  'sew',
  'sew-d',
  'whisper',
  'audio-spectrogram-transformer',
]);

/**
 * Infers the export task from a transformers architecture class name, the way the Python side does
 * for classes no transformers Auto mapping lists (python/tasks.py): `BertForMaskedLM` -> `fill-mask`,
 * `GPT2LMHeadModel` -> `text-generation-with-past`, `Wav2Vec2ForSequenceClassification` (an audio
 * `modelType`) -> `audio-classification`, `BertForMultipleChoice` -> `multiple-choice`,
 * `BartForConditionalGeneration` / `MarianMTModel` -> `text2text-generation`. A head it has
 * no task for (`GPT2DoubleHeadsModel`, `BertForPreTraining`) gives `undefined`, never
 * `feature-extraction`: the export refuses such a head with UNSUPPORTED_ARCHITECTURE.
 *
 * @example
 * ```ts
 * taskFromArchitecture('WhisperForConditionalGeneration', 'whisper'); // 'automatic-speech-recognition'
 * ```
 */
export function taskFromArchitecture(architecture: string | undefined, modelType?: string): PytorchTask | undefined {
  if (architecture === undefined) return undefined;
  if (architecture.endsWith('ForConditionalGeneration') && (modelType === 'whisper' || modelType === 'speech_to_text')) {
    return 'automatic-speech-recognition';
  }
  if (modelType !== undefined && textSeq2seqModelTypes.has(modelType) && /(ForConditionalGeneration|MTModel)$/.test(architecture)) {
    return 'text2text-generation';
  }
  // A bare backbone: `BertModel`, not a head class such as `GPT2DoubleHeadsModel` or `ClvpModelForConditionalGeneration`.
  const bare = architecture.endsWith('Model') && !architecture.includes('For') && !/Heads?Model$/.test(architecture);
  const task = suffixes.find(([suffix]) => architecture.endsWith(suffix))?.[1] ?? (bare ? 'feature-extraction' : undefined);
  if (task === 'text-classification' && modelType !== undefined && audioModelTypes.has(modelType)) return 'audio-classification';
  return task;
}
