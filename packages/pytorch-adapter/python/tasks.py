"""Tasks the PyTorch adapter exports: which transformers Auto class loads each one, which outputs
the ONNX file keeps, and how a task is inferred from a config's architecture name.

Dynamic axes are named as Hugging Face Optimum names them (batch_size, sequence_length,
past_sequence_length, num_channels, height, width, feature_size, encoder_sequence_length), so
consumers such as transformers.js find the names they expect.
"""

from __future__ import annotations

from typing import Dict, List, Optional

# task -> name of the transformers Auto class that loads a model for it
AUTO_CLASS_BY_TASK: Dict[str, str] = {
    "feature-extraction": "AutoModel",
    "fill-mask": "AutoModelForMaskedLM",
    "text-classification": "AutoModelForSequenceClassification",
    "token-classification": "AutoModelForTokenClassification",
    "question-answering": "AutoModelForQuestionAnswering",
    "text-generation": "AutoModelForCausalLM",
    "text-generation-with-past": "AutoModelForCausalLM",
    "image-classification": "AutoModelForImageClassification",
    "automatic-speech-recognition": "AutoModelForSpeechSeq2Seq",
    "audio-classification": "AutoModelForAudioClassification",
    "multiple-choice": "AutoModelForMultipleChoice",
    "semantic-segmentation": "AutoModelForSemanticSegmentation",
    "object-detection": "AutoModelForObjectDetection",
    "text2text-generation": "AutoModelForSeq2SeqLM",
    "zero-shot-image-classification": "AutoModelForZeroShotImageClassification",
}

# Speech recognition has two Auto classes: encoder-decoder (Whisper) and CTC (Wav2Vec2).
CTC_AUTO_CLASS = "AutoModelForCTC"

SUPPORTED_TASKS: List[str] = list(AUTO_CLASS_BY_TASK)

# Architecture-name suffix -> task. Checked in order; the first suffix that matches wins.
_TASK_BY_ARCHITECTURE_SUFFIX = [
    ("ForMaskedLM", "fill-mask"),
    ("ForSequenceClassification", "text-classification"),
    ("ForTokenClassification", "token-classification"),
    ("ForQuestionAnswering", "question-answering"),
    ("ForCausalLM", "text-generation-with-past"),
    ("LMHeadModel", "text-generation-with-past"),
    ("ForImageClassification", "image-classification"),
    ("ForImageClassificationWithTeacher", "image-classification"),
    ("ForCTC", "automatic-speech-recognition"),
    ("ForSpeechSeq2Seq", "automatic-speech-recognition"),
    ("ForAudioClassification", "audio-classification"),
    ("ForMultipleChoice", "multiple-choice"),
    ("ForSemanticSegmentation", "semantic-segmentation"),
    ("ForObjectDetection", "object-detection"),
    ("Model", "feature-extraction"),
]


def task_from_architecture(architecture: Optional[str], model_type: Optional[str]) -> Optional[str]:
    """Infers the task from an architecture class name such as `BertForMaskedLM`, for classes no transformers
    Auto mapping lists (custom code); heads.infer_task reads the mappings first."""
    if not architecture:
        return None
    if architecture.endswith("ForConditionalGeneration") and model_type in ("whisper", "speech_to_text"):
        return "automatic-speech-recognition"
    for suffix, task in _TASK_BY_ARCHITECTURE_SUFFIX:
        if architecture.endswith(suffix):
            return task
    return None


def output_names_for_task(task: str) -> List[str]:
    """Names of the ONNX outputs, in order, for single-file tasks: the fields of the head's ModelOutput."""
    if task == "feature-extraction":
        return ["last_hidden_state"]
    if task == "question-answering":
        return ["start_logits", "end_logits"]
    if task == "object-detection":
        return ["logits", "pred_boxes"]
    return ["logits"]
