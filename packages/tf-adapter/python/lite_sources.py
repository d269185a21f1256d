"""TFLite flatbuffers and TF.js graph models (model.json plus weight shards)."""

from __future__ import annotations

import json
import os
from typing import Any, Dict, List, Sequence, Tuple

import numpy as np

import byte_ngram_frontend
from gpux_bridge import BridgeError
from source_common import TensorflowSource, lookup_override, parse_shape_overrides, to_nhwc_if_needed
from tfjs_graph_json import describe_changes, normalise_topology
from tflite_custom_ops import describe_handlers, make_custom_op_handlers


class TfliteSource(TensorflowSource):
    exporter = "tf2onnx.convert.from_tflite"

    def __init__(self, path: str, options: Dict[str, Any]) -> None:
        super().__init__()
        import tensorflow as tf

        with open(path, "rb") as handle:
            header = handle.read(8)
        if len(header) < 8 or header[4:8] != b"TFL3":
            raise BridgeError("INVALID_MODEL_FILE", f"{path} is not a TFLite flatbuffer (no 'TFL3' identifier at bytes 4-8).")
        self.path = path
        self.description = f"TFLite model {path}"
        self.nchw = list(options.get("inputsAsNchw") or [])
        self.handlers = make_custom_op_handlers(path)
        if self.handlers:
            self.notes.append(f"Converted MediaPipe custom op(s) {describe_handlers(self.handlers)} with GPUX's own tf2onnx handler.")
        try:
            self.interpreter = tf.lite.Interpreter(model_path=path)
        except Exception as error:
            raise BridgeError("INVALID_MODEL_FILE", f"TFLite could not open {path}: {error}", {"cause": str(error)[:2000]}) from error
        self.input_details = self.interpreter.get_input_details()
        self.output_details = self.interpreter.get_output_details()
        self.model_config = {
            "inputs": {d["name"]: [int(x) for x in d["shape_signature"]] for d in self.input_details},
            "outputs": {d["name"]: [int(x) for x in d["shape_signature"]] for d in self.output_details},
        }
        self.shapes = parse_shape_overrides(options.get("inputShapes"))

    def convert(self, opset: int, common: Dict[str, Any]) -> Tuple[Any, Any]:
        import tf2onnx

        handlers = dict(self.handlers)
        handlers.update(common.pop("custom_op_handlers", None) or {})
        return tf2onnx.convert.from_tflite(self.path, opset=opset, custom_op_handlers=handlers or None, **common)

    def run(self, feeds: Dict[str, np.ndarray], onnx_outputs: Sequence[str]) -> Dict[str, np.ndarray]:
        feeds = to_nhwc_if_needed(feeds, self.nchw)
        interpreter = self.interpreter
        for detail in self.input_details:
            interpreter.resize_tensor_input(detail["index"], list(feeds[detail["name"]].shape), strict=False)
        interpreter.allocate_tensors()
        for detail in self.input_details:
            interpreter.set_tensor(detail["index"], feeds[detail["name"]].astype(detail["dtype"]))
        interpreter.invoke()
        by_name = {detail["name"]: interpreter.get_tensor(detail["index"]).copy() for detail in self.output_details}
        return {name: by_name[name] for name in onnx_outputs}


def _read_model_json(path: str) -> Dict[str, Any]:
    try:
        with open(path, "r", encoding="utf-8") as handle:
            model = json.load(handle)
    except (OSError, ValueError) as error:
        raise BridgeError("INVALID_MODEL_FILE", f"{path} is not a readable TF.js model.json ({error}).") from error
    if "modelTopology" not in model or "weightsManifest" not in model:
        raise BridgeError("INVALID_MODEL_FILE", f"{path} has no modelTopology/weightsManifest: it is not a TF.js model.json.")
    return model


def check_shards(path: str, model: Dict[str, Any]) -> int:
    """Raises INVALID_MODEL_FILE naming every missing or short weight shard; returns total bytes."""
    directory = os.path.dirname(path)
    missing, total_available = [], 0
    for group in model["weightsManifest"]:
        for shard in group["paths"]:
            shard_path = os.path.join(directory, shard)
            if not os.path.isfile(shard_path):
                missing.append(shard)
            else:
                total_available += os.path.getsize(shard_path)
    if missing:
        raise BridgeError(
            "INVALID_MODEL_FILE",
            f"The TF.js model {path} lists weight shard(s) that are not beside it: {', '.join(missing)}. "
            "Copy every file named in weightsManifest[].paths into the model.json's folder.",
            {"missingShards": missing},
        )
    return total_available


def _restore_stripped_json_attrs(topology: Dict[str, Any]) -> int:
    """The TF.js converter drops the `TArgs` attr of grappler-fused ops (`_FusedConv2D`, ...), which
    TensorFlow needs to import the node again. Puts it back; returns how many nodes changed."""
    changed = 0
    functions = (topology.get("library") or {}).get("function") or []
    for nodes in [topology.get("node") or []] + [function.get("nodeDef") or [] for function in functions]:
        for node in nodes:
            attrs = node.setdefault("attr", {})
            if node.get("op", "").startswith("_Fused") and "TArgs" not in attrs and "T" in attrs:
                data_inputs = [name for name in node.get("input", []) if not name.startswith("^")]
                count = int(attrs.get("num_args", {}).get("i", max(len(data_inputs) - 2, 0)))
                attrs["TArgs"] = {"list": {"type": [attrs["T"]["type"]] * count}}
                changed += 1
    return changed


class TfjsSource(TensorflowSource):
    exporter = "tf2onnx (TF.js graph model, tfjs_path)"

    def __init__(self, path: str, options: Dict[str, Any], work_directory: str) -> None:
        super().__init__()
        model = _read_model_json(path)
        fmt = model.get("format") or ("layers-model" if "keras_version" in model["modelTopology"] else "graph-model")
        if fmt != "graph-model":
            raise BridgeError("UNSUPPORTED_FORMAT", f"{path} is a TF.js {fmt}; tf2onnx converts graph models only. Convert it with tensorflowjs_converter --output_format=tfjs_graph_model.")
        check_shards(path, model)
        patched = _restore_stripped_json_attrs(model["modelTopology"])
        normalised = normalise_topology(model["modelTopology"])
        if normalised:
            self.notes.append(describe_changes(normalised))
        if patched or normalised or len(model["weightsManifest"]) > 1:
            # tf2onnx reads weightsManifest[0] only and needs the attrs back: write a fixed copy
            # whose shard paths are absolute, in the work directory.
            directory = os.path.dirname(os.path.abspath(path))
            merged = {"paths": [], "weights": []}
            for group in model["weightsManifest"]:
                merged["paths"].extend(os.path.join(directory, shard) for shard in group["paths"])
                merged["weights"].extend(group["weights"])
            model = dict(model, weightsManifest=[merged])
            path = os.path.join(work_directory, "model.json")
            with open(path, "w", encoding="utf-8") as handle:
                json.dump(model, handle)
        self.path = path
        self.model = model
        self.description = f"TF.js graph model {path}"
        self.nchw = list(options.get("inputsAsNchw") or [])
        signature = model.get("signature") or {}
        self.inputs = {key: value["name"] for key, value in (signature.get("inputs") or {}).items()}
        self.outputs = {key: value["name"] for key, value in (signature.get("outputs") or {}).items()}
        overrides = parse_shape_overrides(options.get("inputShapes"))
        self.shape_override = {tensor: lookup_override(overrides, key, tensor) for key, tensor in self.inputs.items() if lookup_override(overrides, key, tensor)}
        self.model_config = {"convertedBy": model.get("convertedBy"), "inputs": list(self.inputs), "outputs": list(self.outputs)}
        self.session = None
        self.rewritten = None
        if any(node.get("op") in byte_ngram_frontend.HASH_OPS for node in model["modelTopology"].get("node") or []):
            self._rewrite_byte_ngrams()

    def _rewrite_byte_ngrams(self) -> None:
        """Hashed byte n-grams (byte_ngram_frontend.py): the graph takes UTF-8 bytes instead of strings."""
        graph_def = self._graph_def()

        def open_session():
            self._build_graph(graph_def)
            return self.session

        def input_key(node: str) -> str:
            return next((name for name, tensor in self.inputs.items() if tensor.split(":")[0] == node), node)

        self.rewritten = byte_ngram_frontend.rewrite_source(self, graph_def, open_session, input_key, list(self.outputs.values()), kind="TF.js graph model, ")
        if self.rewritten is not None:
            self.model_config["inputs"] = list(self.rewritten.feed_names)

    def convert(self, opset: int, common: Dict[str, Any]) -> Tuple[Any, Any]:
        from tf2onnx import convert

        if self.rewritten is not None:
            return self.rewritten.convert(self.path, {tensor: key for key, tensor in self.outputs.items()}, opset, common)
        # tf2onnx has no public from_tfjs(); its CLI's --tfjs path calls _convert_common like this.
        return convert._convert_common(
            None, name=self.path, opset=opset, tfjs_path=self.path, continue_on_error=True,
            shape_override=self.shape_override or None, **common,
        )

    def adjust_reference_feeds(self, feeds: Dict[str, np.ndarray], case_index: int) -> Dict[str, np.ndarray]:
        return feeds if self.rewritten is None else self.rewritten.reference_feeds(feeds, case_index)

    def _graph_def(self):
        import tensorflow as tf
        from google.protobuf import json_format
        from tf2onnx import tfjs_utils

        topology = self.model["modelTopology"]
        graph_def = json_format.ParseDict({k: topology[k] for k in ("node", "library", "versions") if k in topology}, tf.compat.v1.GraphDef(), ignore_unknown_fields=True)
        directory = os.path.dirname(self.path)  # shard paths are absolute in a patched copy
        group = self.model["weightsManifest"][0]
        data = b"".join(open(os.path.join(directory, shard), "rb").read() for shard in group["paths"])
        offset, weights = 0, {}
        for weight in group["weights"]:
            name, array, size = tfjs_utils.read_tfjs_weight(weight, data, offset)
            weights[name] = array
            offset += size
        # Constants of library functions (a tf.map body) are weights too, named as their nodes are.
        for node in list(graph_def.node) + [node for function in graph_def.library.function for node in function.node_def]:
            if node.name in weights:
                array = weights[node.name]
                declared = tf.as_dtype(node.attr["dtype"].type) if node.attr["dtype"].type else None
                if declared is not None and declared.is_numpy_compatible and declared != tf.string and array.dtype != declared.as_numpy_dtype:
                    # TF.js has no int64: the converter stores int64 constants as int32 weights.
                    array = array.astype(declared.as_numpy_dtype)
                node.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(array))
                node.attr["dtype"].type = tf.as_dtype(array.dtype).as_datatype_enum
        return graph_def

    def _build_graph(self, graph_def=None):
        import tensorflow as tf

        graph = tf.Graph()
        with graph.as_default():
            tf.compat.v1.import_graph_def(graph_def if graph_def is not None else self._graph_def(), name="")
        self.session = tf.compat.v1.Session(graph=graph)

    def run(self, feeds: Dict[str, np.ndarray], onnx_outputs: Sequence[str]) -> Dict[str, np.ndarray]:
        if self.session is None:
            self._build_graph()
        if self.rewritten is not None:
            # TensorFlow runs the original graph on the strings that the bytes and lengths stand for.
            feeds = {self.rewritten.input_key: self.rewritten.strings(feeds)}
        feeds = to_nhwc_if_needed(feeds, self.nchw)
        tensor_names: List[str] = [self.outputs.get(name, name) for name in onnx_outputs]
        values = self.session.run(tensor_names, feed_dict={self.inputs.get(k, k): v for k, v in feeds.items()})
        return {name: np.asarray(value) for name, value in zip(onnx_outputs, values)}
