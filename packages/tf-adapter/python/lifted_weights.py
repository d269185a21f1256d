"""Large models: weights kept out of tf2onnx, written straight to ONNX external data.

tf2onnx 1.17 holds every constant of the graph it converts as a NumPy array and its optimizer
passes copy them again and again: a 604 MB SavedModel peaked at 19.5 GB here, a 2.25 GiB one was
killed at about 22 GB, and a single tensor over 2 GiB fails in its protobuf serialization. So in
large-model mode the frozen graph's large constants are swapped for Placeholders before tf2onnx
sees them, their bytes go to a scratch file, tf2onnx converts a graph without weights, and the
weights come back as external-data initializers, one tensor at a time. A Transpose, Cast, Identity
or Reshape that reads a weight and nothing else is applied while the weight is written (tf2onnx
transposes convolution kernels that way), so the result has no runtime op on a weight that the
regular conversion would have folded.
"""

from __future__ import annotations

import collections
import contextlib
import os
from typing import Any, Dict, Iterator, List, Optional, Tuple

import numpy as np
import onnx
from onnx import numpy_helper

from onnx_postprocess import all_nodes

DEFAULT_MIN_BYTES = 1 << 20
# Inline initializers at least this large also move to the data file, so model.onnx stays small.
INLINE_LIMIT_BYTES = 4096
MARKER = b"gpux-lifted-weight:"

# TensorFlow dtype name -> (NumPy dtype, ONNX element type) for the dtypes whose tensor_content is
# the same little-endian row-major bytes in both formats.
_DTYPES = {
    "float32": (np.float32, onnx.TensorProto.FLOAT),
    "float16": (np.float16, onnx.TensorProto.FLOAT16),
    "float64": (np.float64, onnx.TensorProto.DOUBLE),
    "int8": (np.int8, onnx.TensorProto.INT8),
    "uint8": (np.uint8, onnx.TensorProto.UINT8),
    "int16": (np.int16, onnx.TensorProto.INT16),
    "uint16": (np.uint16, onnx.TensorProto.UINT16),
    "int32": (np.int32, onnx.TensorProto.INT32),
    "int64": (np.int64, onnx.TensorProto.INT64),
    "bool": (np.bool_, onnx.TensorProto.BOOL),
}


class LiftedWeights:
    """The constants taken out of the graph: ONNX input name -> (dtype, shape, offset, length) in
    the scratch file."""

    def __init__(self, scratch_path: str, min_bytes: int) -> None:
        self.scratch_path = scratch_path
        self.min_bytes = min_bytes
        self.entries: Dict[str, Tuple[Any, List[int], int, int]] = {}
        # Values written while freezing, by marker index.
        self.spilled: List[Tuple[Any, List[int], int, int]] = []

    @property
    def total_bytes(self) -> int:
        return sum(entry[3] for entry in self.entries.values())


def _spill(lifted: LiftedWeights, values: Any) -> Optional[Any]:
    """During freezing: a variable's value of at least `min_bytes` goes to the scratch file and the
    graph gets a marker TensorProto (dtype and shape, no data) instead of a copy of it."""
    import tensorflow as tf
    from tensorflow.core.framework import tensor_pb2

    if not isinstance(values, np.ndarray) or values.nbytes < lifted.min_bytes:
        return None
    dtype = tf.dtypes.as_dtype(values.dtype)
    if dtype.name not in _DTYPES:
        return None
    data = np.ascontiguousarray(values)
    with open(lifted.scratch_path, "ab") as scratch:
        offset = scratch.tell()
        scratch.write(memoryview(data.reshape(-1).view(np.uint8)))
    index = len(lifted.spilled)
    lifted.spilled.append((data.dtype, list(data.shape), offset, data.nbytes))
    proto = tensor_pb2.TensorProto(dtype=dtype.as_datatype_enum, tensor_shape=tf.TensorShape(data.shape).as_proto())
    proto.string_val.append(MARKER + str(index).encode())
    return proto


def lift_constants(graph_def: Any, lifted: LiftedWeights) -> List[str]:
    """Replaces the top-level Const nodes of at least `lifted.min_bytes` (and the markers that
    freezing left, see `_spill`) by Placeholders of the same dtype and shape; their bytes are in the
    scratch file. Returns the new input names."""
    import tensorflow as tf

    names: List[str] = []
    with open(lifted.scratch_path, "ab") as scratch:
        for node in graph_def.node:
            if node.op != "Const":
                continue
            tensor = node.attr["value"].tensor
            dtype_name = tf.dtypes.as_dtype(tensor.dtype).name
            shape = [int(dim.size) for dim in tensor.tensor_shape.dim]
            if len(tensor.string_val) == 1 and tensor.string_val[0].startswith(MARKER):
                dtype, shape, offset, length = lifted.spilled[int(tensor.string_val[0][len(MARKER):])]
            else:
                length = len(tensor.tensor_content)
                if length < lifted.min_bytes or dtype_name not in _DTYPES:
                    continue
                offset = scratch.tell()
                scratch.write(tensor.tensor_content)
                dtype = _DTYPES[dtype_name][0]
            name = node.name + ":0"
            lifted.entries[name] = (dtype, shape, offset, length)
            node.op = "Placeholder"
            del node.attr["value"]
            node.attr["shape"].shape.CopyFrom(tf.TensorShape(shape).as_proto())
            names.append(name)
    # A marker inside a function body (not a graph input there) gets its data back.
    for function in graph_def.library.function:
        for node in function.node_def:
            tensor = node.attr["value"].tensor if node.op == "Const" else None
            if tensor is not None and len(tensor.string_val) == 1 and tensor.string_val[0].startswith(MARKER):
                dtype, shape, offset, length = lifted.spilled[int(tensor.string_val[0][len(MARKER):])]
                del tensor.string_val[:]
                tensor.tensor_content = np.fromfile(lifted.scratch_path, dtype=np.uint8, count=length, offset=offset).tobytes()
    return names


@contextlib.contextmanager
def weights_kept_out(lifted: LiftedWeights) -> Iterator[LiftedWeights]:
    """While active, tf2onnx's conversions (from_function, from_keras, from_graph_def) see the
    frozen graph with its large constants lifted (tf2onnx 1.17's `convert._convert_common`, which
    all of them call with the frozen GraphDef; TFLite and TF.js pass none and convert as usual)."""
    import tf2onnx.convert as convert
    import tf2onnx.tf_loader as tf_loader
    from tensorflow.python.framework import tensor_util

    original = convert._convert_common  # pylint: disable=protected-access
    original_freeze = tf_loader.convert_variables_to_constants_large_model

    def freeze(func):
        # TensorFlow's freezing copies each variable into a TensorProto and that into the GraphDef;
        # large values go to the scratch file instead (the graph gets markers).
        make_tensor_proto = tensor_util.make_tensor_proto

        def spilling(values, dtype=None, shape=None, verify_shape=False, allow_broadcast=False):
            marker = _spill(lifted, values)
            return marker if marker is not None else make_tensor_proto(values, dtype, shape, verify_shape, allow_broadcast)

        tensor_util.make_tensor_proto = spilling
        try:
            return original_freeze(func)
        finally:
            tensor_util.make_tensor_proto = make_tensor_proto

    def convert_common(frozen_graph, *args, **kwargs):
        # tf2onnx's own large-model path is never taken: it copies every weight in its optimizer,
        # and for TFLite and TF.js (no frozen graph) it fails outright (compress_graph_def(None)).
        # Their weights are moved to the data file afterwards by attach_weights.
        kwargs["large_model"] = False
        if frozen_graph is not None:
            names = lift_constants(frozen_graph, lifted)
            kwargs["input_names"] = list(kwargs.get("input_names") or []) + names
        return original(frozen_graph, *args, **kwargs)

    convert._convert_common = convert_common  # pylint: disable=protected-access
    tf_loader.convert_variables_to_constants_large_model = freeze
    try:
        yield lifted
    finally:
        convert._convert_common = original  # pylint: disable=protected-access
        tf_loader.convert_variables_to_constants_large_model = original_freeze


class ExternalDataWriter:
    """Appends tensor bytes to an open data file, each at a 4096-byte aligned offset, and points
    the initializer at them (ONNX external data: location, offset, length)."""

    ALIGNMENT = 4096

    def __init__(self, handle: Any, location: str) -> None:
        self.handle = handle
        self.location = location
        self.offset = 0

    def write(self, tensor: onnx.TensorProto, data: Any) -> None:
        """`data`: bytes or a buffer (a memoryview of a NumPy array is written without a copy)."""
        padding = (-self.offset) % self.ALIGNMENT
        self.handle.write(b"\0" * padding)
        self.offset += padding
        length = memoryview(data).nbytes
        if length:
            self.handle.write(data)
        tensor.data_location = onnx.TensorProto.EXTERNAL
        del tensor.external_data[:]
        for key, value in (("location", self.location), ("offset", str(self.offset)), ("length", str(length))):
            entry = tensor.external_data.add()
            entry.key, entry.value = key, value
        self.offset += length


def _small_constants(graph: onnx.GraphProto) -> Dict[str, np.ndarray]:
    values = {}
    for tensor in graph.initializer:
        if tensor.data_location != onnx.TensorProto.EXTERNAL and tensor.data_type == onnx.TensorProto.INT64:
            values[tensor.name] = numpy_helper.to_array(tensor)
    for node in graph.node:
        if node.op_type == "Constant" and node.attribute and node.attribute[0].name == "value":
            values[node.output[0]] = numpy_helper.to_array(node.attribute[0].t)
    return values


def _fold(node: onnx.NodeProto, array: np.ndarray, constants: Dict[str, np.ndarray]) -> Optional[np.ndarray]:
    """`node` applied to `array` (its only non-constant input), or None when it is not foldable."""
    if node.domain not in ("", "ai.onnx"):
        return None
    attributes = {attribute.name: onnx.helper.get_attribute_value(attribute) for attribute in node.attribute}
    if node.op_type == "Identity":
        return array
    if node.op_type == "Transpose":
        perm = attributes.get("perm") or list(reversed(range(array.ndim)))
        return np.ascontiguousarray(np.transpose(array, perm))
    if node.op_type == "Cast":
        target = onnx.helper.tensor_dtype_to_np_dtype(int(attributes["to"]))
        return array.astype(target)
    if node.op_type == "Reshape" and len(node.input) > 1 and node.input[1] in constants:
        shape = [int(dim) for dim in constants[node.input[1]]]
        if not attributes.get("allowzero"):
            shape = [array.shape[index] if dim == 0 else dim for index, dim in enumerate(shape)]
        return np.reshape(array, shape)
    return None


def attach_weights(model: onnx.ModelProto, lifted: LiftedWeights, data_path: str, data_name: str) -> Dict[str, int]:
    """Turns the lifted inputs back into initializers stored in `data_path` (referenced as
    `data_name`), folding single-reader Transpose/Cast/Identity/Reshape chains into them, and moves
    every other initializer of at least INLINE_LIMIT_BYTES there too. Writes one tensor at a time."""
    graph = model.graph
    inputs = {value.name: value for value in graph.input}
    outputs = {value.name for value in graph.output}
    readers: Dict[str, List[onnx.NodeProto]] = collections.defaultdict(list)
    for node in graph.node:
        for name in node.input:
            readers[name].append(node)
    constants = _small_constants(graph)
    removed = set()
    counts = {"weights": 0, "folded": 0, "bytes": 0}

    with open(data_path, "wb") as data:
        writer = ExternalDataWriter(data, data_name)

        def write(name: str, array: np.ndarray) -> None:
            array = np.ascontiguousarray(array)
            tensor = onnx.TensorProto(name=name, dims=list(array.shape), data_type=onnx.helper.np_dtype_to_tensor_dtype(array.dtype))
            writer.write(tensor, memoryview(array.reshape(-1).view(np.uint8)))
            graph.initializer.append(tensor)
            counts["bytes"] += array.nbytes

        for name, (dtype, shape, start, length) in lifted.entries.items():
            if name not in inputs:
                continue
            graph.input.remove(inputs[name])
            if length == 0:
                array = np.zeros(shape, dtype)
            else:
                array = np.memmap(lifted.scratch_path, dtype=dtype, mode="r", offset=start, shape=tuple(shape))
            current = name
            while current not in outputs:
                users = [node for node in readers.get(current, []) if id(node) not in removed]
                if len(users) != 1 or len(users[0].output) != 1:
                    break
                folded = _fold(users[0], array, constants)
                if folded is None:
                    break
                removed.add(id(users[0]))
                array, current = folded, users[0].output[0]
                counts["folded"] += 1
            write(current, array)
            counts["weights"] += 1
            del array

        for tensor in list(graph.initializer):
            if tensor.data_location == onnx.TensorProto.EXTERNAL or len(tensor.raw_data) < INLINE_LIMIT_BYTES:
                continue
            array = numpy_helper.to_array(tensor)
            graph.initializer.remove(tensor)
            write(tensor.name, array)

    kept = [node for node in graph.node if id(node) not in removed]
    del graph.node[:]
    graph.node.extend(kept)
    # Shape constants of the folded Reshapes have no reader left.
    used = {name for node in all_nodes(graph) for name in node.input} | outputs
    unused = [tensor for tensor in graph.initializer if tensor.name not in used and tensor.data_location != onnx.TensorProto.EXTERNAL]
    for tensor in unused:
        graph.initializer.remove(tensor)
    return counts



def remove_scratch(lifted: Optional[LiftedWeights]) -> None:
    if lifted is not None and os.path.exists(lifted.scratch_path):
        os.remove(lifted.scratch_path)
