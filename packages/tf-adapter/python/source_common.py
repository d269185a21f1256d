"""Pieces every TensorFlow source shares: option parsing, dtype maps, the source interface."""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from gpux_bridge import BridgeError


def parse_shape_overrides(value: Any) -> Dict[str, List[Optional[int]]]:
    """Accepts `{"name": [-1, 224, 224, 3]}` or `["name:[-1,224,224,3]", ...]` (or one such string)."""
    if value is None:
        return {}
    items: List[Tuple[str, Any]] = []
    if isinstance(value, dict):
        items = list(value.items())
    else:
        for text in [value] if isinstance(value, str) else list(value):
            name, separator, dims = str(text).rpartition(":")
            if not separator or not dims.strip().startswith("["):
                raise BridgeError("EXPORT_FAILED", f"adapterOptions.inputShapes entry {text!r} is not 'name:[d0,d1,...]'.")
            items.append((name, [part for part in dims.strip()[1:-1].split(",") if part.strip()]))
    overrides: Dict[str, List[Optional[int]]] = {}
    for name, dims in items:
        try:
            overrides[name] = [None if int(dim) < 0 else int(dim) for dim in dims]
        except (TypeError, ValueError):
            raise BridgeError("EXPORT_FAILED", f"adapterOptions.inputShapes[{name!r}] = {dims!r} is not a list of integers (-1 for dynamic).") from None
    return overrides


def lookup_override(overrides: Dict[str, List[Optional[int]]], *names: str) -> Optional[List[Optional[int]]]:
    for name in names:
        if name in overrides:
            return overrides[name]
        if name.endswith(":0") and name[:-2] in overrides:
            return overrides[name[:-2]]
    return None


class TensorflowSource:
    """A loaded model: converts itself with tf2onnx and runs TensorFlow on ONNX-named feeds."""

    description: str = "the model"
    exporter: str = "tf2onnx"
    architecture: Optional[str] = None
    integer_input_high: int = 10
    # Per-input bounds that win over integer_input_high (token ids below the vocabulary, masks 0/1).
    integer_input_highs: Dict[str, int] = {}
    task: Optional[str] = None
    # Names of dynamic dims by tensor and axis (`{"input_ids": {1: "sequence_length"}}`); others are named by position.
    dim_names: Dict[str, Dict[int, str]] = {}

    def __init__(self) -> None:
        self.notes: List[str] = []
        self.model_config: Dict[str, Any] = {}

    def convert(self, opset: int, common: Dict[str, Any]) -> Tuple[Any, Any]:
        raise NotImplementedError

    def run(self, feeds: Dict[str, np.ndarray], onnx_outputs: Sequence[str]) -> Dict[str, np.ndarray]:
        raise NotImplementedError

    def adjust_reference_feeds(self, feeds: Dict[str, np.ndarray], case_index: int) -> Dict[str, np.ndarray]:
        """Validation feeds as the model needs them (a source whose inputs depend on each other fixes them here)."""
        return feeds


def to_nhwc_if_needed(feeds: Dict[str, np.ndarray], nchw_inputs: Sequence[str]) -> Dict[str, np.ndarray]:
    """Feeds of inputs that tf2onnx made NCHW go back to TensorFlow's NHWC."""
    result = {}
    for name, value in feeds.items():
        if name in nchw_inputs and value.ndim == 4:
            value = np.transpose(value, (0, 2, 3, 1))
        result[name] = value
    return result


def by_position(values: Sequence[Any], onnx_outputs: Sequence[str]) -> Dict[str, np.ndarray]:
    if len(values) != len(onnx_outputs):
        raise BridgeError("EXPORT_FAILED", f"TensorFlow returned {len(values)} outputs but the ONNX model has {len(onnx_outputs)}.")
    return {name: np.asarray(value) for name, value in zip(onnx_outputs, values)}


Runner = Callable[[Dict[str, np.ndarray]], Dict[str, np.ndarray]]
