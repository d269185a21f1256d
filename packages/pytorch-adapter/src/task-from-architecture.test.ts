import { taskFromArchitecture } from './task-from-architecture';

describe('taskFromArchitecture', () => {
  it.each([
    ['BertForMultipleChoice', 'bert', 'multiple-choice'],
    ['SegformerForSemanticSegmentation', 'segformer', 'semantic-segmentation'],
    ['DetrForObjectDetection', 'detr', 'object-detection'],
    ['YolosForObjectDetection', 'yolos', 'object-detection'],
    ['GPT2LMHeadModel', 'gpt2', 'text-generation-with-past'],
    ['WhisperForConditionalGeneration', 'whisper', 'automatic-speech-recognition'],
    ['BertModel', 'bert', 'feature-extraction'],
    ['BartForConditionalGeneration', 'bart', 'text2text-generation'],
    ['T5ForConditionalGeneration', 't5', 'text2text-generation'],
    ['MarianMTModel', 'marian', 'text2text-generation'],
    // Heads with no exported task: no task rather than the backbone's.
    ['BlipForConditionalGeneration', 'blip', undefined],
    ['GPT2DoubleHeadsModel', 'gpt2', undefined],
    ['ClvpModelForConditionalGeneration', 'clvp', undefined],
    ['BertForPreTraining', 'bert', undefined],
  ])('%s (%s) -> %s', (architecture, modelType, task) => {
    expect(taskFromArchitecture(architecture, modelType)).toBe(task);
  });
});
