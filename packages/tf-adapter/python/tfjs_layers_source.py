"""TF.js layers models (`"format": "layers-model"`): a Keras topology plus a weight manifest.

tf2onnx reads TF.js graph models only. A layers model is Keras, written either by Python's
tensorflowjs converter (`modelTopology.model_config`, Keras 2 configs, weights named
`layer/weight`) or by TF.js itself (`model.save`: the config at `modelTopology`, layers named like
`dense_Dense1`, trainable weights before non-trainable ones). The Keras model is rebuilt from the
config with Keras 3's legacy deserializer, its weights set from the shards, saved as `.keras` in
the work directory, and converted as any Keras model.
"""

from __future__ import annotations

import copy
import os
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from gpux_bridge import BridgeError
from keras_source import KerasSource
from lite_sources import check_shards


def is_layers_model(model: Dict[str, Any]) -> bool:
    topology = model.get("modelTopology") or {}
    fmt = model.get("format")
    return fmt == "layers-model" or (fmt is None and isinstance(topology, dict) and ("model_config" in topology or "class_name" in topology))


def keras_config(topology: Dict[str, Any]) -> Dict[str, Any]:
    """The Keras 2 model config inside a layers model's `modelTopology`, made loadable by Keras 3:
    an InputLayer's `batch_input_shape` becomes `batch_shape`, and a Sequential whose first layer
    carries `batch_input_shape` gets the InputLayer Keras 2 created implicitly (`<first layer>_input`)."""
    config = copy.deepcopy(topology.get("model_config") or topology)
    if not isinstance(config, dict) or "class_name" not in config:
        raise BridgeError("INVALID_MODEL_FILE", "The TF.js layers model has no Keras model config (modelTopology.model_config or modelTopology.class_name).")
    inner = config.get("config")
    layers = inner.get("layers") if isinstance(inner, dict) else inner if isinstance(inner, list) else None
    if layers is None:
        raise BridgeError("INVALID_MODEL_FILE", f"The TF.js layers model's {config['class_name']} config lists no layers.")
    if isinstance(inner, list):  # Keras 1/early TF.js Sequential: the layer list itself
        config["config"] = {"name": "sequential", "layers": layers}
    for layer in layers:
        layer_config = layer.get("config") or {}
        if layer.get("class_name") == "InputLayer" and "batch_input_shape" in layer_config:
            layer_config["batch_shape"] = layer_config.pop("batch_input_shape")
    if config["class_name"] == "Sequential" and layers and layers[0].get("class_name") != "InputLayer":
        first = layers[0].get("config") or {}
        if "batch_input_shape" in first:
            layers.insert(0, {"class_name": "InputLayer", "config": {
                "batch_shape": first.pop("batch_input_shape"), "dtype": first.get("dtype") or "float32", "name": f"{first.get('name', 'sequential')}_input",
            }})
    return config


def read_weights(path: str, model: Dict[str, Any]) -> "OrderedDict[str, np.ndarray]":
    """Every weight of the manifest, in manifest order (each group's shards read back to back)."""
    from tf2onnx import tfjs_utils

    directory = os.path.dirname(os.path.abspath(path))
    weights: "OrderedDict[str, np.ndarray]" = OrderedDict()
    for group in model["weightsManifest"]:
        data = b"".join(open(os.path.join(directory, shard), "rb").read() for shard in group["paths"])
        offset = 0
        for weight in group["weights"]:
            name, array, size = tfjs_utils.read_tfjs_weight(weight, data, offset)
            weights[name] = np.array(array)
            offset += size
        if offset != len(data):
            raise BridgeError("INVALID_MODEL_FILE", f"The weight shards {', '.join(group['paths'])} of {path} hold {len(data)} bytes; the manifest describes {offset}.")
    return weights


def _by_layer(model: Any, weights: "OrderedDict[str, np.ndarray]") -> Optional[List[Tuple[Any, List[str]]]]:
    """Pairs each layer's variables with the manifest names under `<layer name>/`: by their last
    path component where that is unambiguous, else in order. None when any layer is left short."""
    pairs: List[Tuple[Any, List[str]]] = []
    used = set()
    for layer in model.layers:
        variables = list(layer.weights)
        if not variables:
            continue
        names = [name for name in weights if name.startswith(layer.name + "/") and name not in used]
        if len(names) != len(variables):
            return None
        short = [name.rsplit("/", 1)[-1] for name in names]
        if len(set(short)) == len(short) and all(variable.name in short for variable in variables):
            names = [names[short.index(variable.name)] for variable in variables]
        pairs.extend((variable, [name]) for variable, name in zip(variables, names))
        used.update(names)
    return pairs if len(used) == len(weights) else None


def assign_weights(model: Any, weights: "OrderedDict[str, np.ndarray]") -> str:
    """Sets the model's variables from the manifest; returns how they were matched."""
    pairs = _by_layer(model, weights)
    how = "by layer name"
    if pairs is None:
        # Same count, different names (nested models): TF.js's order (trainable, then the rest) or Keras's.
        variables = list(model.weights)
        names = list(weights)
        orders = [("in TF.js order", [v for v in variables if v.trainable] + [v for v in variables if not v.trainable]), ("in Keras order", variables)]
        for label, ordered in orders:
            if len(ordered) == len(names) and all(tuple(v.shape) == weights[n].shape for v, n in zip(ordered, names)):
                pairs, how = [(v, [n]) for v, n in zip(ordered, names)], label
                break
    if pairs is None:
        expected = [f"{v.path} {list(v.shape)}" for v in model.weights]
        found = [f"{n} {list(a.shape)}" for n, a in weights.items()]
        raise BridgeError("INVALID_MODEL_FILE",
                          f"The weights manifest does not match the model its topology describes: the model has {len(expected)} variables, the manifest {len(found)} weights, and neither names nor shapes line up.",
                          {"modelVariables": expected[:50], "manifestWeights": found[:50]})
    for variable, (name,) in pairs:
        array = weights[name]
        if tuple(variable.shape) != array.shape:
            raise BridgeError("INVALID_MODEL_FILE", f"Weight {name} has shape {list(array.shape)}, but the model's {variable.path} is {list(variable.shape)}.")
        variable.assign(array.astype(variable.dtype))
    return how


def rebuild_keras_model(path: str, model: Dict[str, Any]) -> Tuple[Any, str, str]:
    """The Keras model (Functional), how its weights were matched, and the topology's class name."""
    from keras.src.legacy.saving import saving_utils

    config = keras_config(model["modelTopology"])
    try:
        keras_model = saving_utils.model_from_config(config)
    except (TypeError, ValueError) as error:
        raise BridgeError("UNSUPPORTED_ARCHITECTURE",
                          f"Keras cannot rebuild the TF.js layers model {path} from its topology: {str(error)[:600]}. "
                          "Layers that exist only in TF.js, or custom layers, have no Keras class.",
                          {"cause": str(error)[:2000]}) from error
    how = assign_weights(keras_model, read_weights(path, model))
    return _as_functional(keras_model), how, config["class_name"]


def _as_functional(model: Any) -> Any:
    """A Sequential model as a Functional one over the same layers: tf2onnx's from_keras looks
    outputs up by name, and a Sequential's output tensor is named `keras_tensor_<n>`."""
    import keras

    if not isinstance(model, keras.Sequential):
        return model
    inputs = keras.Input(batch_shape=model.inputs[0].shape, dtype=model.inputs[0].dtype, name=model.layers[0].name + "_input" if model.layers else "input")
    tensor = inputs
    for layer in model.layers:
        tensor = layer(tensor)
    return keras.Model(inputs, tensor, name=model.name)


class TfjsLayersSource(KerasSource):
    exporter = "tf2onnx.convert.from_keras (TF.js layers model rebuilt in Keras)"

    def __init__(self, path: str, model: Dict[str, Any], options: Dict[str, Any], work_directory: str, trust_remote_code: bool) -> None:
        check_shards(path, model)
        keras_model, how, class_name = rebuild_keras_model(path, model)
        os.makedirs(work_directory, exist_ok=True)
        rebuilt = os.path.join(work_directory, "tfjs-layers-model.keras")
        keras_model.save(rebuilt)
        count, layer_count = len(keras_model.weights), len([layer for layer in keras_model.layers if type(layer).__name__ != "InputLayer"])
        super().__init__(rebuilt, "keras", options, trust_remote_code)
        self.description = f"TF.js layers model {path}"
        self.model_config.update({"tfjsFormat": "layers-model", "generatedBy": model.get("generatedBy"), "convertedBy": model.get("convertedBy")})
        self.notes.append(f"Rebuilt the Keras model ({class_name}, {layer_count} layers) from the TF.js layers topology "
                          f"and set its {count} weights from the manifest ({how}), then converted it as a Keras model.")
