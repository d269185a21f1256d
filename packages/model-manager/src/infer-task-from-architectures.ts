/**
 * Suffix rules, checked in order: the first suffix an architecture name ends with decides the task.
 * Names follow the transformers convention (`BertForMaskedLM`, `TFGPT2LMHeadModel`, `WhisperForConditionalGeneration`).
 * Task names are the Hugging Face pipeline tags (https://huggingface.co/docs/transformers/main_classes/pipelines).
 */
const suffixRules: ReadonlyArray<readonly [suffix: string, task: string]> = [
  ['ForMaskedLM', 'fill-mask'],
  ['ForSequenceClassification', 'text-classification'],
  ['ForTokenClassification', 'token-classification'],
  ['ForQuestionAnswering', 'question-answering'],
  ['ForCausalLM', 'text-generation'],
  ['LMHeadModel', 'text-generation'],
  ['ForImageClassification', 'image-classification'],
  ['ForMultipleChoice', 'multiple-choice'],
  ['ForObjectDetection', 'object-detection'],
  ['ForSemanticSegmentation', 'image-segmentation'],
  ['ForDepthEstimation', 'depth-estimation'],
  ['ForCTC', 'automatic-speech-recognition'],
  ['ForAudioClassification', 'audio-classification'],
  ['MTModel', 'translation'],
];

/** Model types whose `*ForConditionalGeneration` head transcribes speech. */
const speechSequenceToSequence = /whisper|speech_?to_?text|speech2text|speecht5/i;
/** Model types whose `*ForConditionalGeneration` head maps text to text. */
const textSequenceToSequence = /^(t5|mt5|umt5|bart|mbart|pegasus|marian|longt5|led|m2m_100|nllb|fsmt|prophetnet|flan)/i;

/**
 * Infers the Hugging Face pipeline task from the `architectures` list of a `config.json`.
 *
 * The first architecture that maps to a task wins. Rules (by name suffix): `*ForMaskedLM` ->
 * `fill-mask`, `*ForSequenceClassification` -> `text-classification`, `*ForTokenClassification` ->
 * `token-classification`, `*ForQuestionAnswering` -> `question-answering`, `*ForCausalLM` /
 * `*LMHeadModel` -> `text-generation`, `*ForImageClassification` -> `image-classification`,
 * `*ForCTC` -> `automatic-speech-recognition`, `*ForAudioClassification` -> `audio-classification`,
 * `*ForMultipleChoice` -> `multiple-choice`, `*ForObjectDetection` -> `object-detection`,
 * `*ForSemanticSegmentation` -> `image-segmentation`,
 * `*ForConditionalGeneration` -> `automatic-speech-recognition` for Whisper-like models and
 * `text2text-generation` for T5/BART-like ones, and a bare `*Model` -> `feature-extraction` (not a head
 * such as `GPT2DoubleHeadsModel`, which gives `undefined` rather than a task that would drop the head).
 *
 * @param architectures - The `architectures` array of config.json.
 * @param modelType - The `model_type` of config.json; disambiguates `*ForConditionalGeneration`.
 * @returns The task, or `undefined` when no rule applies.
 * @example
 * ```ts
 * inferTaskFromArchitectures(['BertForMaskedLM']); // 'fill-mask'
 * inferTaskFromArchitectures(['WhisperForConditionalGeneration'], 'whisper'); // 'automatic-speech-recognition'
 * ```
 */
export function inferTaskFromArchitectures(architectures: readonly string[], modelType?: string): string | undefined {
  for (const architecture of architectures) {
    const task = taskOfArchitecture(architecture, modelType);
    if (task !== undefined) return task;
  }
  return undefined;
}

function taskOfArchitecture(architecture: string, modelType: string | undefined): string | undefined {
  for (const [suffix, task] of suffixRules) {
    if (architecture.endsWith(suffix)) return task;
  }
  if (architecture.endsWith('ForConditionalGeneration')) {
    const family = modelType ?? architecture;
    if (speechSequenceToSequence.test(family) || speechSequenceToSequence.test(architecture)) return 'automatic-speech-recognition';
    if (textSequenceToSequence.test(family) || textSequenceToSequence.test(architecture)) return 'text2text-generation';
    return undefined;
  }
  // A bare backbone only: `GPT2DoubleHeadsModel` and `ClvpModelForConditionalGeneration` are heads.
  const head = architecture.includes('For') || /(Heads?|PreTrained)Model$/.test(architecture);
  if (architecture.endsWith('Model') && !head) return 'feature-extraction';
  return undefined;
}
