"""Which head a config's `architectures` class is, read from transformers' own Auto mappings, and the
task that exports it; a head this adapter cannot export is refused with UNSUPPORTED_ARCHITECTURE instead
of being exported as the bare backbone.

Every `AutoModel*` class of transformers maps model types to class names (`_model_mapping`). A class
can sit in several (BartForConditionalGeneration is in Seq2SeqLM, MaskedLM and PreTraining;
ParakeetForCTC in CTC and AutoModel). The specific Auto classes decide, and every one of them must be a
head this adapter exports: GotOcr2ForConditionalGeneration is a causal LM and an image-text-to-text head,
and exporting its text path alone would drop the image input, so it is refused. The general Auto classes
(`_GENERAL_AUTO_CLASSES`) count only for a class no specific one lists.
"""

from __future__ import annotations

import functools
import re
from typing import Any, Dict, List, Optional, Tuple

from bridge_errors import BridgeError
from tasks import AUTO_CLASS_BY_TASK, CTC_AUTO_CLASS, SUPPORTED_TASKS, task_from_architecture

FEATURE_EXTRACTION_FIX = "--task feature-extraction"

# Auto class -> task, for the Auto classes whose heads this adapter exports.
TASK_BY_AUTO_CLASS: Dict[str, str] = {
    **{auto_class: task for task, auto_class in AUTO_CLASS_BY_TASK.items() if task != "text-generation"},
    CTC_AUTO_CLASS: "automatic-speech-recognition",
}

# Auto classes that also list classes whose real head is another one, in the order they are tried.
# AutoModelForMultimodalLM is not one of them: Phi4MultimodalForCausalLM's text path alone drops its images.
_GENERAL_AUTO_CLASSES = ("AutoModel", "AutoModelForMaskedLM", "AutoModelForTextEncoding", "AutoModelForPreTraining",
                         "AutoModelWithLMHead")

# Names of head kinds that are not a plain kebab-case of the Auto class (Hugging Face pipeline tags).
_HEAD_NAMES = {"AutoModelForSeq2SeqLM": "text2text-generation", "AutoModelForCausalLM": "text-generation",
               "AutoModelForSpeechSeq2Seq": "automatic-speech-recognition", "AutoModelForCTC": "automatic-speech-recognition",
               "AutoModelForVision2Seq": "image-text-to-text", "AutoModelForPreTraining": "pre-training",
               "AutoModelForMaskedLM": "fill-mask", "AutoBackbone": "backbone"}


@functools.lru_cache(maxsize=1)
def auto_classes() -> Dict[str, Any]:
    """Every Auto model class of the installed transformers, by name."""
    from transformers.models.auto import modeling_auto

    found = {}
    for name in dir(modeling_auto):
        if not (name.startswith("AutoModel") or name == "AutoBackbone"):
            continue
        value = getattr(modeling_auto, name)
        if hasattr(getattr(value, "_model_mapping", None), "_model_mapping"):
            found[name] = value
    return found


def _names(value) -> List[str]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def head_kind(auto_class: str) -> str:
    """`AutoModelForSemanticSegmentation` -> `semantic-segmentation`."""
    if auto_class in _HEAD_NAMES:
        return _HEAD_NAMES[auto_class]
    suffix = re.sub(r"^AutoModel(For|With)?", "", auto_class) or "feature-extraction"
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", suffix).lower()


def auto_classes_naming(architecture: str, classes: Optional[Dict[str, Any]] = None) -> List[str]:
    """Names of the Auto classes whose mapping lists `architecture`, the general ones last."""
    classes = auto_classes() if classes is None else classes
    found = [name for name, auto in sorted(classes.items())
             if any(architecture in _names(value) for value in auto._model_mapping._model_mapping.values())]
    general = [name for name in _GENERAL_AUTO_CLASSES if name in found]
    return [name for name in found if name not in general] + general


def class_loaded_by(auto_class, config) -> Optional[str]:
    """Name of the class `auto_class.from_pretrained` builds for `config` (None when it has none), read from
    the mapping without importing the model's module."""
    mapping = auto_class._model_mapping
    if type(config) not in mapping:
        return None
    if type(config) in getattr(mapping, "_extra_content", {}):
        return mapping[type(config)].__name__
    model_type = mapping._reverse_config_mapping[type(config).__name__]
    names = _names(mapping._model_mapping[model_type])
    for architecture in getattr(config, "architectures", None) or []:
        if architecture in names:
            return architecture
    return names[0]


def unsupported_head_error(architecture: str, auto_class: Optional[str], possible: List[str], reason: str) -> BridgeError:
    named = re.sub(r"^.*?(For|LMHead|DoubleHeads)", r"\1", architecture)
    kind = head_kind(auto_class) if auto_class else head_kind(f"AutoModel{named if named != architecture else ''}")
    if "feature-extraction" in possible:
        fix = (f"To export the backbone without the head on purpose, pass {FEATURE_EXTRACTION_FIX} (task: 'feature-extraction'): "
               f"the ONNX file then outputs last_hidden_state, not {architecture}'s outputs.")
    else:
        fix = "transformers has no bare backbone (AutoModel) for this config either."
    exported = [task for task in possible if task != "feature-extraction"]
    return BridgeError(
        "UNSUPPORTED_ARCHITECTURE",
        f"The PyTorch adapter cannot export the {kind} head {architecture}{f' ({auto_class})' if auto_class else ''}: {reason} "
        f"{fix} Heads it exports for this config: {', '.join(exported) or 'none'}.",
        {"architecture": architecture, "head": kind, "autoClass": auto_class, "fix": FEATURE_EXTRACTION_FIX,
         "supportedTasks": possible},
    )


def infer_task(config, possible: List[str]) -> Tuple[Optional[str], Optional[str]]:
    """(task, architecture) for a config whose caller named no task. The task's Auto class builds exactly
    the `architectures[0]` class; a head with no exported task raises UNSUPPORTED_ARCHITECTURE. (None, None)
    when config.json names no architecture."""
    architecture = (getattr(config, "architectures", None) or [None])[0]
    if not architecture:
        return None, None
    classes = auto_classes()
    naming = auto_classes_naming(architecture, classes)
    if not naming:
        # Custom code (auto_map) or a class no Auto mapping lists: the name's suffix decides, and the class
        # loaded is compared with the architecture after loading (hf_models.check_loaded_head).
        return task_from_architecture(architecture, getattr(config, "model_type", None)), architecture
    # A general Auto class (MaskedLM lists BartForConditionalGeneration too) counts only when no specific one
    # lists the class: Bart is a text2text head, not a fill-mask one.
    specific = [name for name in naming if name not in _GENERAL_AUTO_CLASSES]
    unexported = [name for name in specific if name not in TASK_BY_AUTO_CLASS]
    if unexported:
        raise unsupported_head_error(architecture, unexported[0], possible, "no task this adapter exports keeps that head yet.")
    for auto_class in specific or naming:
        task = TASK_BY_AUTO_CLASS.get(auto_class)
        if task == "feature-extraction" and "For" in architecture:
            # AutoModel of a few model types is their head (MgpstrForSceneTextRecognition): not a backbone.
            raise unsupported_head_error(architecture, None, possible, "AutoModel builds this head class itself, and its "
                                         "outputs are not a backbone's last_hidden_state.")
        if task in possible and class_loaded_by(classes[auto_class], config) == architecture:
            return task, architecture
    head = (specific or naming)[0]
    reason = (f"{head} does not build {architecture} for model_type {getattr(config, 'model_type', None)!r}."
              if head in TASK_BY_AUTO_CLASS else "no task this adapter exports keeps that head yet.")
    raise unsupported_head_error(architecture, head, possible, reason)


def check_loaded_head(model, architecture: Optional[str], task: str, possible: List[str]) -> None:
    """Refuses a model whose class is not the head config.json names (the task was inferred, not asked for)."""
    loaded = type(model).__name__
    if architecture and loaded != architecture:
        raise unsupported_head_error(
            architecture, None, possible,
            f"config.json names {architecture}, but loading it for the task {task!r} built {loaded}, which would drop "
            f"or change the head.")


__all__ = ["SUPPORTED_TASKS", "TASK_BY_AUTO_CLASS", "auto_classes", "auto_classes_naming", "check_loaded_head",
           "class_loaded_by", "head_kind", "infer_task", "unsupported_head_error"]
