"""Inlines the nested tf.function calls that TensorFlow's freezing leaves in a graph.

Freezing (convert_variables_to_constants_v2 with aggressive_inlining, as tf2onnx does it) inlines
every function call except those marked for XLA or `_noinline`. Keras 3 runs each grouped
convolution through such a function (`@tf.function(jit_compile=True)` in its TensorFlow backend's
`conv`), so a ConvNeXt reaches tf2onnx with one `StatefulPartitionedCall` per block, and tf2onnx
has no converter for call ops. Without those markers grappler's function optimizer inlines them.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from typing import Any, Dict, Iterator, List

CALL_OPS = ("StatefulPartitionedCall", "PartitionedCall")
# Markers that make grappler keep a call (tensorflow/core/common_runtime/inline_function_utils.cc,
# grappler/optimizers/function_optimizer.cc): XLA compilation on the node or the function, `_noinline`.
NO_INLINE_ATTRS = ("_XlaMustCompile", "_XlaCompile", "_XlaScope", "_XlaInternalScope", "_noinline")
MAX_PASSES = 4


def _library_calls(graph_def: Any) -> List[Any]:
    functions = {function.signature.name for function in graph_def.library.function}
    return [node for node in graph_def.node if node.op in CALL_OPS and node.attr["f"].func.name in functions]


def _reason(node: Any, functions: Dict[str, Any]) -> str:
    function = functions.get(node.attr["f"].func.name)
    attrs = set(node.attr.keys()) | (set(function.attr.keys()) if function is not None else set())
    if attrs & {"_XlaMustCompile", "_XlaCompile"}:
        return "XLA-compiled"
    if "_noinline" in attrs:
        return "noinline"
    return "plain"


def inline_nested_functions(graph_def: Any, input_names: List[str], output_names: List[str]) -> Dict[str, int]:
    """Strips the no-inline markers and runs grappler's function inlining on `graph_def` in place,
    until no call of a library function is left. Returns the calls found by kind (empty if none)."""
    import tensorflow as tf
    from tf2onnx import tf_loader

    calls = _library_calls(graph_def)
    if not calls:
        return {}
    functions = {function.signature.name: function for function in graph_def.library.function}
    found = dict(Counter(_reason(node, functions) for node in calls))
    for _ in range(MAX_PASSES):
        for node in graph_def.node:
            if node.op in CALL_OPS:
                for key in NO_INLINE_ATTRS:
                    if key in node.attr:
                        del node.attr[key]
        for function in graph_def.library.function:
            for key in NO_INLINE_ATTRS:
                if key in function.attr:
                    del function.attr[key]
            for node in function.node_def:
                if node.op in CALL_OPS:
                    for key in NO_INLINE_ATTRS:
                        if key in node.attr:
                            del node.attr[key]
        with tf.Graph().as_default():
            optimized = tf_loader.tf_optimize_grappler(list(input_names), list(output_names), graph_def)
        graph_def.Clear()
        graph_def.CopyFrom(optimized)
        if not _library_calls(graph_def):
            break
    return found


def describe(found: Dict[str, int]) -> str:
    total = sum(found.values())
    kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(found.items()))
    return (f"Inlined {total} nested tf.function call(s) ({kinds}) that freezing had left as StatefulPartitionedCall/PartitionedCall "
            "(Keras 3 runs grouped convolutions through an XLA-compiled tf.function); tf2onnx has no converter for call ops.")


@contextlib.contextmanager
def nested_functions_inlined(notes: List[str]) -> Iterator[None]:
    """While active, the frozen GraphDef that tf2onnx 1.17's from_keras, from_function and
    from_graph_def hand to `convert._convert_common` has its nested function calls inlined first
    (TFLite and TF.js pass no GraphDef and are left alone). Appends a note when it inlined any."""
    import tf2onnx.convert as convert

    original = convert._convert_common  # pylint: disable=protected-access

    def convert_common(frozen_graph, *args, **kwargs):
        if frozen_graph is not None:
            found = inline_nested_functions(frozen_graph, kwargs.get("input_names") or [], kwargs.get("output_names") or [])
            if found:
                notes.append(describe(found))
        return original(frozen_graph, *args, **kwargs)

    convert._convert_common = convert_common  # pylint: disable=protected-access
    try:
        yield
    finally:
        convert._convert_common = original  # pylint: disable=protected-access
