"""Hugging Face folders whose weights are `tf_model.h5`: rebuilt with transformers' TF classes.

Transformers 5 removed the TF classes, so this runs in the `tensorflow-transformers` environment
(python/requirements-transformers.txt: transformers 4.57, the last release with them, on tf-keras,
the Keras 2 API they are written against).
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, Sequence, Tuple

import numpy as np

from gpux_bridge import BridgeError
from source_common import TensorflowSource, lookup_override, parse_shape_overrides

TASK_SUFFIXES = (
    ("ForSequenceClassification", "text-classification"),
    ("ForTokenClassification", "token-classification"),
    ("ForQuestionAnswering", "question-answering"),
    ("ForMaskedLM", "fill-mask"),
    ("ForCausalLM", "text-generation"),
    ("LMHeadModel", "text-generation"),
    ("ForMultipleChoice", "multiple-choice"),
    ("ForImageClassification", "image-classification"),
)


def _import_transformers():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    try:
        import transformers
    except ImportError as error:
        raise BridgeError(
            "UNSUPPORTED_FORMAT",
            "Converting tf_model.h5 needs transformers 4.x with tf-keras (the `tensorflow-transformers` environment, "
            "python/requirements-transformers.txt); this interpreter has no transformers. Run `gpux-convert setup "
            "tensorflow-transformers`, or point GPUX_PYTHON at an interpreter with those packages.",
        ) from error
    if int(transformers.__version__.split(".")[0]) >= 5:
        raise BridgeError(
            "UNSUPPORTED_FORMAT",
            f"transformers {transformers.__version__} has no TensorFlow model classes (removed in 5.0); tf_model.h5 needs "
            "transformers 4.57 with tf-keras (python/requirements-transformers.txt).",
        )
    return transformers


def _read_config(path: str) -> Dict[str, Any]:
    config_path = os.path.join(path, "config.json")
    try:
        with open(config_path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError) as error:
        raise BridgeError("INVALID_MODEL_FILE", f"{config_path} is missing or not JSON ({error}).") from error


def _model_class(transformers, config: Dict[str, Any], path: str, trust_remote_code: bool):
    if config.get("auto_map"):
        raise BridgeError(
            "UNSUPPORTED_ARCHITECTURE",
            f"{path}/config.json names custom model code (auto_map); GPUX converts tf_model.h5 only for architectures "
            "built into transformers. Export a SavedModel (model.save_pretrained(dir, saved_model=True)) instead.",
            {"autoMap": config.get("auto_map"), "trustRemoteCode": trust_remote_code},
        )
    architectures = config.get("architectures") or []
    if not architectures:
        return transformers.TFAutoModel, "TFAutoModel"
    name = architectures[0] if architectures[0].startswith("TF") else "TF" + architectures[0]
    model_class = getattr(transformers, name, None)
    if model_class is None:
        raise BridgeError(
            "UNSUPPORTED_ARCHITECTURE",
            f"transformers {transformers.__version__} has no TensorFlow class {name} (from config.json architectures "
            f"{architectures}). Use the PyTorch weights of this model, or export a SavedModel.",
            {"architecture": name},
        )
    return model_class, name


class HuggingFaceTensorflowSource(TensorflowSource):
    """A transformers TF model loaded from `tf_model.h5`, called through a tf.function whose
    signature is the model's own `input_signature` (dynamic batch and sequence)."""

    exporter = "tf2onnx.convert.from_function (transformers TF model)"

    def __init__(self, path: str, options: Dict[str, Any], trust_remote_code: bool) -> None:
        super().__init__()
        import tensorflow as tf

        transformers = _import_transformers()
        config = _read_config(path)
        model_class, class_name = _model_class(transformers, config, path, trust_remote_code)
        try:
            self.model = model_class.from_pretrained(path, local_files_only=True)
        except (OSError, ValueError) as error:
            raise BridgeError(
                "INVALID_MODEL_FILE",
                f"transformers could not load {class_name} from {path}/tf_model.h5: {str(error)[:600]}",
                {"cause": str(error)[:2000]},
            ) from error
        self.architecture = class_name
        self.description = f"{class_name} from {path}/tf_model.h5"
        self.task = next((task for suffix, task in TASK_SUFFIXES if class_name.endswith(suffix)), "feature-extraction")
        overrides = parse_shape_overrides(options.get("inputShapes"))
        self.arg_names = list(self.model.input_signature.keys())
        self.signature = [
            tf.TensorSpec(lookup_override(overrides, name) or spec.shape, spec.dtype, name=name)
            for name, spec in self.model.input_signature.items()
        ]
        text_inputs = [spec for spec in self.signature if spec.dtype == tf.int32]
        sequence_axis = len(text_inputs[0].shape) - 1 if text_inputs else None
        if sequence_axis:
            self.dim_names = {spec.name: {sequence_axis: "sequence_length"} for spec in text_inputs}
            for output in ("last_hidden_state", "logits", "start_logits", "end_logits"):
                self.dim_names.setdefault(output, {sequence_axis: "sequence_length"})
        model_config = self.model.config
        vocab = int(getattr(model_config, "vocab_size", 0) or 0)
        self.integer_input_highs = {"attention_mask": 2, "decoder_attention_mask": 2}
        if vocab > 0:
            self.integer_input_highs.update(input_ids=vocab, decoder_input_ids=vocab)
        self.integer_input_highs["token_type_ids"] = int(getattr(model_config, "type_vocab_size", 1) or 1)
        self.integer_input_high = vocab or 10
        self.model_config = {
            "modelType": config.get("model_type"),
            "architecture": class_name,
            "transformers": transformers.__version__,
        }
        model, arg_names = self.model, self.arg_names

        @tf.function(input_signature=self.signature, autograph=False)
        def call_model(*args):
            outputs = model(**dict(zip(arg_names, args)), training=False)
            return {name: value for name, value in outputs.items() if value is not None}

        self.wrapped = call_model

    def convert(self, opset: int, common: Dict[str, Any]) -> Tuple[Any, Any]:
        import tf2onnx

        return tf2onnx.convert.from_function(self.wrapped, input_signature=self.signature, opset=opset, **common)

    def run(self, feeds: Dict[str, np.ndarray], onnx_outputs: Sequence[str]) -> Dict[str, np.ndarray]:
        result = self.wrapped(*[feeds[name] for name in self.arg_names])
        missing = [name for name in onnx_outputs if name not in result]
        if missing:
            raise BridgeError("EXPORT_FAILED", f"The model returned {sorted(result)}, not the ONNX outputs {missing}.")
        return {name: np.asarray(result[name]) for name in onnx_outputs}
