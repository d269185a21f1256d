"""Turns an ONNX file whose weights sit in external data files into one self-contained file, streaming
one tensor at a time: the model and graph messages are written without their initializers, then each
initializer is appended as its own length-delimited field with its bytes copied from the data file.
Protobuf merges repeated fields wherever they appear, so the result parses like any single-file model,
and the process never holds the whole serialized model in memory (onnx.save would hold it twice)."""

from __future__ import annotations

import os
from typing import List, Optional, Tuple

_CHUNK = 16 * 1024 * 1024
_MODEL_GRAPH_TAG = b"\x3a"  # ModelProto.graph = 7, length-delimited
_GRAPH_INITIALIZER_TAG = b"\x2a"  # GraphProto.initializer = 5, length-delimited
_TENSOR_RAW_DATA_TAG = b"\x4a"  # TensorProto.raw_data = 9, length-delimited


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field_size(payload_size: int) -> int:
    return 1 + len(_varint(payload_size)) + payload_size


def inline_external_data(path: str) -> List[str]:
    """Rewrites `path` as a single file and deletes the data files it used; returns their names."""
    import onnx
    from onnx.external_data_helper import uses_external_data

    directory = os.path.dirname(path)
    if all(name == os.path.basename(path) for name in os.listdir(directory)):
        return []  # already one file (the TorchScript exporter writes weights inline)
    model = onnx.load(path, load_external_data=False)
    # (serialized tensor without raw_data, data file, offset, length)
    pieces: List[Tuple[bytes, Optional[str], int, int]] = []
    for tensor in model.graph.initializer:
        if not uses_external_data(tensor):
            pieces.append((tensor.SerializeToString(), None, 0, 0))
            continue
        info = {entry.key: entry.value for entry in tensor.external_data}
        location = os.path.join(directory, info["location"])
        offset = int(info.get("offset") or 0)
        length = int(info["length"]) if info.get("length") else os.path.getsize(location) - offset
        tensor.ClearField("external_data")
        tensor.ClearField("data_location")
        pieces.append((tensor.SerializeToString(), location, offset, length))
    del model.graph.initializer[:]
    graph_bytes = model.graph.SerializeToString()
    model.ClearField("graph")
    model_bytes = model.SerializeToString()

    tensor_sizes = [len(header) + (_field_size(length) if location else 0) for header, location, _, length in pieces]
    graph_size = len(graph_bytes) + sum(_field_size(size) for size in tensor_sizes)
    staging = f"{path}.incomplete"
    with open(staging, "wb") as output:
        output.write(model_bytes + _MODEL_GRAPH_TAG + _varint(graph_size) + graph_bytes)
        for (header, location, offset, length), size in zip(pieces, tensor_sizes):
            output.write(_GRAPH_INITIALIZER_TAG + _varint(size) + header)
            if location is None:
                continue
            output.write(_TENSOR_RAW_DATA_TAG + _varint(length))
            with open(location, "rb") as data:
                data.seek(offset)
                remaining = length
                while remaining:
                    chunk = data.read(min(_CHUNK, remaining))
                    if not chunk:
                        raise ValueError(f"{location} ends before the {length} bytes of a tensor at offset {offset}")
                    output.write(chunk)
                    remaining -= len(chunk)
    data_files = sorted({location for _, location, _, _ in pieces if location})
    os.replace(staging, path)
    for location in data_files:
        os.remove(location)
    return [os.path.basename(location) for location in data_files]
