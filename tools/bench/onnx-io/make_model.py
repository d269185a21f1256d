"""Writes the benchmark model: a MatMul chain whose initializers hold about SIZE_MIB of float32
weights (raw_data, inline, one file below protobuf's 2 GiB limit).

Usage: python make_model.py OUTPUT_PATH [SIZE_MIB=1024]
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def main() -> None:
    output_path = sys.argv[1]
    size_mib = int(sys.argv[2]) if len(sys.argv) > 2 else 1024
    side = 2048  # one 2048x2048 float32 weight is 16 MiB
    count = max(1, size_mib // 16)
    rng = np.random.default_rng(0)
    base = rng.standard_normal((side, side), dtype=np.float32)
    nodes, initializers = [], []
    previous = "x"
    for index in range(count):
        name = f"weight_{index}"
        initializers.append(numpy_helper.from_array(base * np.float32(1 + index / count), name))
        output = "y" if index == count - 1 else f"hidden_{index}"
        nodes.append(helper.make_node("MatMul", [previous, name], [output], name=f"matmul_{index}"))
        previous = output
    graph = helper.make_graph(
        nodes,
        "bench",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", side])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", side])],
        initializer=initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)], ir_version=10)
    onnx.save(model, output_path)


if __name__ == "__main__":
    main()
