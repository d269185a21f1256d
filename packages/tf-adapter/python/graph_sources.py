"""SavedModel directories (one signature) and frozen GraphDef `.pb` files."""

from __future__ import annotations

import os
from typing import Any, Dict, List, Sequence, Tuple

import numpy as np

import byte_ngram_frontend
from gpux_bridge import BridgeError
from source_common import TensorflowSource, lookup_override, parse_shape_overrides, to_nhwc_if_needed

NOT_OUTPUT_OPS = {"Const", "NoOp", "Assert", "Placeholder", "SaveV2", "RestoreV2", "VarHandleOp", "AssignVariableOp"}


def load_saved_model(path: str, tags: Any = None):
    import tensorflow as tf

    if not (os.path.isfile(os.path.join(path, "saved_model.pb")) or os.path.isfile(os.path.join(path, "saved_model.pbtxt"))):
        present = sorted(os.listdir(path))[:20] if os.path.isdir(path) else []
        raise BridgeError(
            "INVALID_MODEL_FILE",
            f"{path} is not a SavedModel directory: it has no saved_model.pb (found: {', '.join(present) or 'nothing'}). "
            "Point at the directory that tf.saved_model.save or model.export wrote.",
            {"path": path, "entries": present},
        )
    try:
        return tf.saved_model.load(path, tags=tags)
    except Exception as error:
        raise BridgeError("INVALID_MODEL_FILE", f"TensorFlow could not load the SavedModel at {path}: {str(error)[:800]}", {"cause": str(error)[:2000]}) from error


def describe_signatures(loaded: Any) -> List[Dict[str, Any]]:
    described = []
    for key, function in loaded.signatures.items():
        inputs = function.structured_input_signature[1]
        outputs = function.structured_outputs
        described.append({
            "name": key,
            "inputs": [{"name": n, "dtype": s.dtype.name, "shape": [d if d is not None else -1 for d in s.shape.as_list()]} for n, s in sorted(inputs.items())],
            "outputs": [{"name": n, "dtype": s.dtype.name, "shape": [d if d is not None else -1 for d in s.shape.as_list()]} for n, s in sorted(outputs.items())],
        })
    return described


class SavedModelSource(TensorflowSource):
    exporter = "tf2onnx.convert.from_function (SavedModel signature)"

    def __init__(self, path: str, options: Dict[str, Any]) -> None:
        super().__init__()
        import tensorflow as tf

        self.loaded = load_saved_model(path, options.get("tags"))
        name = options.get("signature") or "serving_default"
        available = sorted(self.loaded.signatures.keys())
        if name not in self.loaded.signatures:
            raise BridgeError(
                "EXPORT_FAILED",
                f"The SavedModel at {path} has no signature '{name}'. Available: {', '.join(available) or 'none'}"
                + (". Pass adapterOptions.signature." if available else ". Save it with a signature (tf.saved_model.save(obj, dir, signatures=...))."),
                {"signatures": available},
            )
        self.function = self.loaded.signatures[name]
        self.description = f"signature '{name}' of SavedModel {path}"
        self.nchw = list(options.get("inputsAsNchw") or [])
        overrides = parse_shape_overrides(options.get("inputShapes"))
        self.arg_names = sorted(self.function.structured_input_signature[1].keys())
        specs = self.function.structured_input_signature[1]
        self.signature = [
            tf.TensorSpec(lookup_override(overrides, arg) or specs[arg].shape, specs[arg].dtype, name=arg) for arg in self.arg_names
        ]
        self.model_config = {"signature": name, "signatures": available}
        function, arg_names = self.function, self.arg_names

        @tf.function(input_signature=self.signature, autograph=False)
        def call_signature(*args):
            return function(**dict(zip(arg_names, args)))

        self.wrapped = call_signature
        self.rewritten = None
        if any(spec.dtype == tf.string for spec in self.signature):
            self._rewrite_byte_ngrams()

    def _rewrite_byte_ngrams(self) -> None:
        """Hashed byte n-grams (byte_ngram_frontend.py) in the frozen signature: bytes in instead of strings."""
        import tensorflow as tf
        from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

        frozen = convert_variables_to_constants_v2(self.wrapped.get_concrete_function())
        # The frozen function's outputs follow the signature's outputs in key order.
        output_keys = sorted(self.function.structured_outputs.keys())
        self.output_tensors = {tensor.name: key for key, tensor in zip(output_keys, frozen.outputs)}

        def input_key(node: str) -> str:
            return next((arg for arg in self.arg_names if node in (arg, f"{arg}:0")), node)

        # Not `with Session(...)`: that would make the frozen graph the default one, and the hash
        # tables are computed eagerly.
        session = tf.compat.v1.Session(graph=frozen.graph)
        try:
            self.rewritten = byte_ngram_frontend.rewrite_source(self, frozen.graph.as_graph_def(), lambda: session, input_key,
                                                                list(self.output_tensors), kind="SavedModel signature, ")
        finally:
            session.close()

    def convert(self, opset: int, common: Dict[str, Any]) -> Tuple[Any, Any]:
        import tf2onnx

        if self.rewritten is not None:
            return self.rewritten.convert(self.description, self.output_tensors, opset, common)
        return tf2onnx.convert.from_function(self.wrapped, input_signature=self.signature, opset=opset, **common)

    def adjust_reference_feeds(self, feeds: Dict[str, np.ndarray], case_index: int) -> Dict[str, np.ndarray]:
        return feeds if self.rewritten is None else self.rewritten.reference_feeds(feeds, case_index)

    def run(self, feeds: Dict[str, np.ndarray], onnx_outputs: Sequence[str]) -> Dict[str, np.ndarray]:
        if self.rewritten is not None:
            # TensorFlow runs the signature on the strings that the bytes and lengths stand for.
            feeds = dict(feeds, **{self.rewritten.input_key: self.rewritten.strings(feeds)})
        feeds = to_nhwc_if_needed(feeds, self.nchw)
        result = self.function(**{name: feeds[name] for name in self.arg_names})
        return {name: np.asarray(result[name]) for name in onnx_outputs}


class FrozenGraphSource(TensorflowSource):
    exporter = "tf2onnx.convert.from_graph_def"

    def __init__(self, path: str, options: Dict[str, Any]) -> None:
        super().__init__()
        import tensorflow as tf

        graph_def = tf.compat.v1.GraphDef()
        try:
            with open(path, "rb") as handle:
                graph_def.ParseFromString(handle.read())
        except Exception as error:
            raise BridgeError("INVALID_MODEL_FILE", f"{path} is not a TensorFlow GraphDef protobuf ({error}).", {"cause": str(error)[:2000]}) from error
        if not graph_def.node:
            raise BridgeError("INVALID_MODEL_FILE", f"{path} parsed as a GraphDef with no nodes: it is not a frozen graph.")
        self.graph_def = graph_def
        self.description = f"frozen graph {path}"
        self.nchw = list(options.get("inputsAsNchw") or [])
        consumed = {name.split(":")[0].lstrip("^") for node in graph_def.node for name in node.input}
        self.input_names = [_tensor(n) for n in options.get("inputs") or [node.name for node in graph_def.node if node.op == "Placeholder"]]
        self.output_names = [_tensor(n) for n in options.get("outputs") or [
            node.name for node in graph_def.node if node.name not in consumed and node.op not in NOT_OUTPUT_OPS
        ]]
        if not self.input_names or not self.output_names:
            raise BridgeError("EXPORT_FAILED", f"Could not find the inputs/outputs of {path}; pass adapterOptions.inputs and adapterOptions.outputs (tensor names like 'x:0').")
        overrides = parse_shape_overrides(options.get("inputShapes"))
        self.shape_override = {n: lookup_override(overrides, n) for n in self.input_names if lookup_override(overrides, n) is not None}
        self.model_config = {"inputs": self.input_names, "outputs": self.output_names}
        self.graph = tf.Graph()
        with self.graph.as_default():
            tf.compat.v1.import_graph_def(graph_def, name="")
        self.session = tf.compat.v1.Session(graph=self.graph)
        self.rewritten = None
        if any(node.op in byte_ngram_frontend.HASH_OPS for node in graph_def.node):
            self._rewrite_byte_ngrams()

    def _rewrite_byte_ngrams(self) -> None:
        """Hashed byte n-grams (byte_ngram_frontend.py): the graph takes UTF-8 bytes instead of strings."""
        self.rewritten = byte_ngram_frontend.rewrite_source(self, self.graph_def, lambda: self.session, lambda node: node,
                                                            self.output_names, keep_tensor_names=True)
        if self.rewritten is not None:
            self.input_names = list(self.rewritten.feed_names)
            self.model_config["inputs"] = self.input_names

    def convert(self, opset: int, common: Dict[str, Any]) -> Tuple[Any, Any]:
        import tf2onnx

        if self.rewritten is not None:
            return self.rewritten.convert(self.description, {name: name for name in self.output_names}, opset, common,
                                          shape_override=self.shape_override or None)
        return tf2onnx.convert.from_graph_def(
            self.graph_def, name=self.description, input_names=self.input_names, output_names=self.output_names,
            opset=opset, shape_override=self.shape_override or None, **common,
        )

    def adjust_reference_feeds(self, feeds: Dict[str, np.ndarray], case_index: int) -> Dict[str, np.ndarray]:
        return feeds if self.rewritten is None else self.rewritten.reference_feeds(feeds, case_index)

    def run(self, feeds: Dict[str, np.ndarray], onnx_outputs: Sequence[str]) -> Dict[str, np.ndarray]:
        if self.rewritten is not None:
            # TensorFlow runs the original graph on the strings that the bytes and lengths stand for.
            values = self.session.run(list(onnx_outputs), feed_dict={_tensor(self.rewritten.input_key): self.rewritten.strings(feeds)})
            return {name: np.asarray(value) for name, value in zip(onnx_outputs, values)}
        feeds = to_nhwc_if_needed(feeds, self.nchw)
        values = self.session.run(list(onnx_outputs), feed_dict={name: feeds[name] for name in self.input_names})
        return {name: np.asarray(value) for name, value in zip(onnx_outputs, values)}


def _tensor(name: str) -> str:
    return name if ":" in name else name + ":0"
