"""Keras `.keras` and legacy `.h5` models."""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
import zipfile
from typing import Any, Dict, Sequence, Tuple

import numpy as np

from gpux_bridge import BridgeError
from source_common import TensorflowSource, by_position, lookup_override, parse_shape_overrides, to_nhwc_if_needed

_UNKNOWN_CLASS = re.compile(r"(?:Could not locate class|Unknown layer|Unknown object)[^'\"]*['\"]([^'\"]+)['\"]")


def _custom_objects(options: Dict[str, Any], trust_remote_code: bool) -> Dict[str, Any]:
    module_path = options.get("customObjectsModule")
    if not module_path:
        return {}
    if not trust_remote_code:
        raise BridgeError(
            "TRUST_REMOTE_CODE_REQUIRED",
            f"adapterOptions.customObjectsModule ({module_path}) runs Python code; pass trustRemoteCode: true "
            "if you trust that module.",
            {"module": module_path},
        )
    if module_path.endswith(".py") and os.path.isfile(module_path):
        spec = importlib.util.spec_from_file_location("gpux_custom_objects", module_path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    else:
        module = importlib.import_module(module_path)
    getter = getattr(module, "get_custom_objects", None)
    if getter is None:
        raise BridgeError("EXPORT_FAILED", f"Module {module_path} has no get_custom_objects() function returning a dict of classes.")
    return dict(getter())


def _with_registered_names(path: str, custom_objects: Dict[str, Any]) -> Dict[str, Any]:
    """Keras 3 looks custom classes up by their registered name (`package>Class`); let a plain
    `Class` key from get_custom_objects() match it too."""
    if not custom_objects or not zipfile.is_zipfile(path):
        return custom_objects
    with zipfile.ZipFile(path) as archive:
        config = archive.read("config.json").decode("utf-8") if "config.json" in archive.namelist() else ""
    aliased = dict(custom_objects)
    for registered in set(re.findall(r'"registered_name":\s*"([^"]+>[^"]+)"', config)):
        plain = registered.split(">")[-1]
        if plain in custom_objects and registered not in aliased:
            aliased[registered] = custom_objects[plain]
    return aliased


def _load(path: str, fmt: str, custom_objects: Dict[str, Any]):
    import keras

    custom_objects = _with_registered_names(path, custom_objects)
    try:
        return keras.models.load_model(path, compile=False, custom_objects=custom_objects or None)
    except (TypeError, ValueError) as error:
        text = str(error)
        match = _UNKNOWN_CLASS.search(text)
        if match or "custom_objects" in text or "register_keras_serializable" in text:
            layer = match.group(1) if match else "a custom class"
            raise BridgeError(
                "UNSUPPORTED_ARCHITECTURE",
                f"Keras cannot rebuild the custom layer '{layer}' in {path}: its code is not part of the file. "
                "Write a Python module with a get_custom_objects() function that returns {'"
                f"{layer.split('>')[-1]}': YourLayerClass" "}, and pass "
                "adapterOptions.customObjectsModule: '/path/to/module.py' (or an importable module name) with trustRemoteCode: true.",
                {"layer": layer, "cause": text[:2000]},
            ) from error
        raise BridgeError("INVALID_MODEL_FILE", f"{path} is not a loadable Keras model: {text[:500]}", {"cause": text[:2000]}) from error
    except OSError as error:
        what = "HDF5 file" if fmt == "tf-h5" else "Keras archive"
        raise BridgeError(
            "INVALID_MODEL_FILE",
            f"{path} is not a readable {what} ({error}). The file may be truncated or corrupt: download or save it again.",
            {"cause": str(error)[:2000]},
        ) from error
    except Exception as error:  # zipfile.BadZipFile, h5py errors, KeyError from a damaged archive
        raise BridgeError(
            "INVALID_MODEL_FILE",
            f"{path} could not be read as a Keras model ({type(error).__name__}: {error}). The file may be truncated or corrupt.",
            {"cause": str(error)[:2000]},
        ) from error


class KerasSource(TensorflowSource):
    exporter = "tf2onnx.convert.from_keras"

    def __init__(self, path: str, fmt: str, options: Dict[str, Any], trust_remote_code: bool) -> None:
        super().__init__()
        import tensorflow as tf

        self.path = path
        self.description = f"Keras model {path}"
        self.model = _load(path, fmt, _custom_objects(options, trust_remote_code))
        self.nchw = list(options.get("inputsAsNchw") or [])
        overrides = parse_shape_overrides(options.get("inputShapes"))
        self.signature = []
        for tensor in self.model.inputs:
            name = tensor.name.split(":")[0]
            shape = lookup_override(overrides, name) or list(tensor.shape)
            self.signature.append(tf.TensorSpec(shape, tensor.dtype, name=name))
        self.architecture = self.model.name
        self.model_config = {
            "kerasClass": type(self.model).__name__,
            "name": self.model.name,
            "inputShapes": {spec.name: [d for d in spec.shape.as_list()] for spec in self.signature},
        }
        for layer in self.model.layers:
            if type(layer).__name__ == "Embedding":
                self.integer_input_high = int(layer.input_dim)
                self.model_config["vocabSize"] = int(layer.input_dim)
                break

    def convert(self, opset: int, common: Dict[str, Any]) -> Tuple[Any, Any]:
        import tf2onnx

        return tf2onnx.convert.from_keras(self.model, input_signature=self.signature, opset=opset, **common)

    def run(self, feeds: Dict[str, np.ndarray], onnx_outputs: Sequence[str]) -> Dict[str, np.ndarray]:
        feeds = to_nhwc_if_needed(feeds, self.nchw)
        ordered = [feeds[spec.name] for spec in self.signature]
        result = self.model(ordered[0] if len(ordered) == 1 else ordered, training=False)
        if isinstance(result, dict):
            return {name: np.asarray(result[name]) for name in onnx_outputs}
        values = list(result) if isinstance(result, (list, tuple)) else [result]
        return by_position([np.asarray(value) for value in values], onnx_outputs)
