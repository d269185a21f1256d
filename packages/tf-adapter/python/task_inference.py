"""The task of a converted TensorFlow model that came with none (Keras, SavedModel, TF.js, TFLite).

Hugging Face folders name their task through the architecture class (hf_source.py). The other
formats carry no task, so it is read off the ONNX graph tf2onnx wrote: one image input (rank 4,
float, 1 or 3 channels, NHWC or NCHW) and one [batch, classes] output is an image classifier when
the output comes from a dense layer (MatMul/Gemm, then a bias) under a softmax or sigmoid, from a
softmax alone, or is named like a classifier's (predictions, logits, probabilities). Anything
else, a pooled feature vector among them, stays feature-extraction.
"""

from __future__ import annotations

import re
from typing import Any, Dict, Optional, Sequence, Tuple

import onnx

DEFAULT_TASK = "feature-extraction"
FLOAT_DTYPES = ("float32", "float16", "bfloat16", "float64")
IMAGE_CHANNELS = (1, 3)
CLASSIFIER_NAME_WORDS = {"prediction", "predictions", "logits", "probabilities", "probs", "softmax"}
PASS_THROUGH_OPS = {"Identity", "Cast"}
ACTIVATION_OPS = {"Softmax", "LogSoftmax", "Sigmoid"}
DENSE_OPS = {"MatMul", "Gemm"}


def image_layout(spec: Dict[str, Any]) -> Optional[str]:
    """'NHWC' or 'NCHW' for a rank-4 float input with 1 or 3 channels, else None."""
    shape = spec["shape"]
    if spec["dtype"] not in FLOAT_DTYPES or len(shape) != 4:
        return None
    if shape[3] in IMAGE_CHANNELS:
        return "NHWC"
    if shape[1] in IMAGE_CHANNELS:
        return "NCHW"
    return None


def has_classifier_name(name: str) -> bool:
    """True when a word of the output's name (split on punctuation) is a classifier's: `predictions`, `dense/logits:0`."""
    return any(word in CLASSIFIER_NAME_WORDS for word in re.split(r"[^a-z0-9]+", name.lower()))


def output_head(graph: onnx.GraphProto, output_name: str) -> Tuple[bool, Optional[str]]:
    """Walks back from the output through Identity/Cast, one activation and a bias Add; returns
    whether a MatMul/Gemm (a dense layer) was reached, and the activation op met on the way."""
    producers = {name: node for node in graph.node for name in node.output}
    constants = {initializer.name for initializer in graph.initializer}
    constants.update(name for node in graph.node if node.op_type == "Constant" for name in node.output)
    name, activation = output_name, None
    for _ in range(8):
        node = producers.get(name)
        if node is None:
            break
        if node.op_type in PASS_THROUGH_OPS:
            name = node.input[0]
        elif node.op_type in ACTIVATION_OPS and activation is None:
            activation, name = node.op_type, node.input[0]
        elif node.op_type == "Add" and len(node.input) == 2 and sum(value in constants for value in node.input) == 1:
            name = node.input[0] if node.input[1] in constants else node.input[1]
        else:
            return node.op_type in DENSE_OPS, activation
    return False, activation


def infer_task(model: onnx.ModelProto, inputs: Sequence[Dict[str, Any]], outputs: Sequence[Dict[str, Any]]) -> Tuple[str, Optional[str]]:
    """The task, and a note saying why when it is not the default."""
    if len(inputs) != 1 or len(outputs) != 1:
        return DEFAULT_TASK, None
    layout = image_layout(inputs[0])
    output = outputs[0]
    shape = output["shape"]
    if layout is None or output["dtype"] not in FLOAT_DTYPES or len(shape) != 2 or not isinstance(shape[1], int):
        return DEFAULT_TASK, None
    dense, activation = output_head(model.graph, output["name"])
    named = has_classifier_name(output["name"])
    if not (named or activation == "Softmax" or (dense and activation is not None)):
        return DEFAULT_TASK, None
    evidence = []
    if dense:
        evidence.append("a dense layer" + (f" with {activation}" if activation else ""))
    elif activation:
        evidence.append(activation)
    if named:
        evidence.append(f"an output named {output['name']}")
    dims = ", ".join(str(dim) for dim in inputs[0]["shape"])
    return "image-classification", (
        f"Task inferred as image-classification: one {layout} image input {inputs[0]['name']} [{dims}] and one "
        f"[batch, {shape[1]}] output from {' and '.join(evidence)}. Pass a task to override it.")
