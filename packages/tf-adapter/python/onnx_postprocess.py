"""ONNX-side steps after tf2onnx: unsupported-op scan, symbolic dim names, IO specs, saving."""

from __future__ import annotations

import collections
import os
import shutil
from typing import Any, Dict, Iterable, List, Optional

import onnx
from onnx import defs

from gpux_bridge import BridgeError

TENSORFLOW_DOMAIN = "ai.onnx.converters.tensorflow"

ELEMENT_TYPES = {
    onnx.TensorProto.FLOAT: "float32",
    onnx.TensorProto.FLOAT16: "float16",
    onnx.TensorProto.BFLOAT16: "bfloat16",
    onnx.TensorProto.DOUBLE: "float64",
    onnx.TensorProto.INT8: "int8",
    onnx.TensorProto.UINT8: "uint8",
    onnx.TensorProto.INT16: "int16",
    onnx.TensorProto.UINT16: "uint16",
    onnx.TensorProto.INT32: "int32",
    onnx.TensorProto.UINT32: "uint32",
    onnx.TensorProto.INT64: "int64",
    onnx.TensorProto.UINT64: "uint64",
    onnx.TensorProto.BOOL: "bool",
    onnx.TensorProto.STRING: "string",
}


def all_nodes(graph: onnx.GraphProto) -> Iterable[onnx.NodeProto]:
    """Every node of `graph` and of its subgraphs (If/Loop/Scan bodies)."""
    for node in graph.node:
        yield node
        for attribute in node.attribute:
            if attribute.type == onnx.AttributeProto.GRAPH:
                yield from all_nodes(attribute.g)
            for subgraph in attribute.graphs:
                yield from all_nodes(subgraph)


def find_unsupported_ops(model: onnx.ModelProto) -> Dict[str, int]:
    """Counts nodes in the default ONNX domain whose op type ONNX does not define (tf2onnx leaves
    TensorFlow ops it cannot map in the graph under their TensorFlow name)."""
    counts: Dict[str, int] = collections.Counter()
    for node in all_nodes(model.graph):
        if node.domain in ("", "ai.onnx") and not defs.has(node.op_type):
            counts[node.op_type] += 1
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def raise_unsupported(unsupported: Dict[str, int], source_description: str) -> None:
    listing = ", ".join(f"{op} (x{count})" for op, count in unsupported.items())
    total = sum(unsupported.values())
    raise BridgeError(
        "UNSUPPORTED_OPERATOR",
        f"tf2onnx cannot convert {len(unsupported)} TensorFlow operator type(s) ({total} node(s)) in "
        f"{source_description}: {listing}. Rewrite the model without them, or pass "
        "adapterOptions.allowCustomOps: true to keep them as custom ops in the "
        f"'{TENSORFLOW_DOMAIN}' domain (the model then needs a runtime that implements them).",
        {"operators": [{"op": op, "count": count} for op, count in unsupported.items()]},
    )


def mark_custom_ops(model: onnx.ModelProto, unsupported: Dict[str, int]) -> None:
    """Moves the unsupported nodes into tf2onnx's TensorFlow custom-op domain."""
    for node in all_nodes(model.graph):
        if node.domain in ("", "ai.onnx") and node.op_type in unsupported:
            node.domain = TENSORFLOW_DOMAIN
    if not any(opset.domain == TENSORFLOW_DOMAIN for opset in model.opset_import):
        model.opset_import.append(onnx.helper.make_opsetid(TENSORFLOW_DOMAIN, 1))


def name_symbolic_dims(model: onnx.ModelProto, batch_dim_name: str = "batch_size",
                       dim_names: Optional[Dict[str, Dict[int, str]]] = None) -> None:
    """Replaces tf2onnx's `unk__N` dim names: a dynamic first dim becomes `batch_size`, every other
    dynamic dim `<tensor>_dim<index>`, unless `dim_names[tensor][index]` names it."""
    renames: Dict[str, str] = {}

    def rename(value_info: onnx.ValueInfoProto) -> None:
        dims = value_info.type.tensor_type.shape.dim
        for index, dim in enumerate(dims):
            if dim.HasField("dim_value"):
                continue
            old = dim.dim_param
            given = (dim_names or {}).get(value_info.name, {}).get(index)
            if given:
                new = given
            elif index == 0:
                new = batch_dim_name
            else:
                safe = "".join(ch if ch.isalnum() else "_" for ch in value_info.name)
                new = f"{safe}_dim{index}"
            if old:
                renames.setdefault(old, new)
            dim.dim_param = new

    for value_info in list(model.graph.input) + list(model.graph.output):
        rename(value_info)
    for value_info in model.graph.value_info:
        for dim in value_info.type.tensor_type.shape.dim:
            if dim.dim_param in renames:
                dim.dim_param = renames[dim.dim_param]


def tensor_specs(values: Iterable[onnx.ValueInfoProto]) -> List[Dict[str, Any]]:
    specs = []
    for value in values:
        tensor_type = value.type.tensor_type
        shape: List[Any] = []
        for dim in tensor_type.shape.dim:
            if dim.HasField("dim_value"):
                shape.append(int(dim.dim_value))
            else:
                shape.append(dim.dim_param or "unknown")
        specs.append({"name": value.name, "dtype": ELEMENT_TYPES.get(tensor_type.elem_type, "float32"), "shape": shape})
    return specs


def save_model(model: onnx.ModelProto, path: str, prepared_data: Optional[str] = None) -> None:
    """Writes the model atomically; a `prepared_data` file (lifted_weights.attach_weights, large
    models) is moved beside it as `<file>.data` first."""
    incomplete = path + ".incomplete"
    if prepared_data is not None:
        data_path = os.path.join(os.path.dirname(path), os.path.basename(path) + ".data")
        shutil.move(prepared_data, data_path + ".incomplete")
        os.replace(data_path + ".incomplete", data_path)
    with open(incomplete, "wb") as handle:
        handle.write(model.SerializeToString())
    os.replace(incomplete, path)
