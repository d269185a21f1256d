"""Writes a synthetic fp32 model whose weights live in external data: a chain of MatMul + Relu with
square [D, D] weights, written one tensor at a time (never all in memory).
usage: python make_large_model.py OUT.onnx TOTAL_GB [D]"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper


def main():
    out, total_gb = sys.argv[1], float(sys.argv[2])
    dim = int(sys.argv[3]) if len(sys.argv) > 3 else 8192
    per_tensor = dim * dim * 4
    count = max(1, round(total_gb * 1e9 / per_tensor))
    data_name = os.path.basename(out) + ".data"
    rng = np.random.default_rng(0)
    initializers, nodes = [], []
    offset = 0
    with open(os.path.join(os.path.dirname(out) or ".", data_name), "wb") as data:
        for index in range(count):
            for row in range(0, dim, 1024):
                data.write((rng.standard_normal((min(1024, dim - row), dim), dtype=np.float32) / np.sqrt(dim)).tobytes())
            tensor = TensorProto(name=f"w{index}", data_type=TensorProto.FLOAT, dims=[dim, dim])
            tensor.data_location = TensorProto.EXTERNAL
            for key, value in (("location", data_name), ("offset", str(offset)), ("length", str(per_tensor))):
                entry = tensor.external_data.add()
                entry.key, entry.value = key, value
            offset += per_tensor
            initializers.append(tensor)
            source = "x" if index == 0 else f"r{index - 1}"
            nodes.append(helper.make_node("MatMul", [source, f"w{index}"], [f"m{index}"], name=f"matmul{index}"))
            nodes.append(helper.make_node("Relu", [f"m{index}"], [f"r{index}"], name=f"relu{index}"))
    graph = helper.make_graph(nodes, "large", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", dim])],
                              [helper.make_tensor_value_info(f"r{count - 1}", TensorProto.FLOAT, ["batch", dim])], initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    with open(out, "wb") as handle:
        handle.write(model.SerializeToString())
    print(f"{count} weights of {per_tensor} bytes: {count * per_tensor / 1e9:.2f} GB")


if __name__ == "__main__":
    main()
