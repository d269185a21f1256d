"""Facts about ONNX models from Python's onnx (loader, checker, reference evaluator), for the ONNX IO tests.

Usage:
  python onnx_facts.py run MODEL INPUT_NAME DIM[,DIM...]   checker + onnx.reference on a linspace input
  python onnx_facts.py inspect MODEL                         IO, opsets, histogram, parameter count
  python onnx_facts.py make-external MODEL                   write a model with external data
Each prints one JSON line.
"""
import collections
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def linspace_input(shape: list[int]) -> np.ndarray:
    count = int(np.prod(shape))
    return np.linspace(-1.0, 1.0, count, dtype=np.float32).reshape(shape)


def run(model_path: str, input_name: str, dims: str) -> dict:
    from onnx.reference import ReferenceEvaluator

    onnx.checker.check_model(model_path)
    # onnx.load resolves the external data files relative to the model, as onnxruntime does.
    model = onnx.load(model_path)
    evaluator = ReferenceEvaluator(model)
    shape = [int(dim) for dim in dims.split(",")]
    outputs = evaluator.run(None, {input_name: linspace_input(shape)})
    return {
        "initializers": len(model.graph.initializer),
        "outputs": [output.astype(np.float64).ravel().tolist() for output in outputs],
    }


def describe(value: onnx.ValueInfoProto) -> dict:
    tensor = value.type.tensor_type
    dims = []
    for dim in tensor.shape.dim:
        if dim.HasField("dim_value"):
            dims.append(dim.dim_value)
        elif dim.HasField("dim_param") and dim.dim_param:
            dims.append(dim.dim_param)
        else:
            dims.append(None)
    return {"name": value.name, "elem_type": tensor.elem_type, "dims": dims}


def inspect(model_path: str) -> dict:
    model = onnx.load(model_path, load_external_data=False)
    histogram: collections.Counter = collections.Counter()

    def visit(graph: onnx.GraphProto) -> None:
        for node in graph.node:
            key = node.op_type if node.domain in ("", "ai.onnx") else f"{node.domain}:{node.op_type}"
            histogram[key] += 1
            for attribute in node.attribute:
                if attribute.type == onnx.AttributeProto.GRAPH:
                    visit(attribute.g)
                for subgraph in attribute.graphs:
                    visit(subgraph)

    visit(model.graph)
    initializer_names = {tensor.name for tensor in model.graph.initializer}
    return {
        "ir_version": model.ir_version,
        "producer_name": model.producer_name,
        "opsets": [[opset.domain, opset.version] for opset in model.opset_import],
        "inputs": [describe(value) for value in model.graph.input if value.name not in initializer_names],
        "outputs": [describe(value) for value in model.graph.output],
        "histogram": dict(histogram),
        "parameters": int(sum(int(np.prod(tensor.dims)) for tensor in model.graph.initializer)),
        "file_bytes": os.path.getsize(model_path),
    }


def make_external(model_path: str) -> dict:
    rng = np.random.default_rng(0)
    weight = rng.standard_normal((16, 8)).astype(np.float32)
    bias = rng.standard_normal((8,)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "weight"], ["product"]), helper.make_node("Add", ["product", "bias"], ["y"])],
        "external",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 8])],
        initializer=[numpy_helper.from_array(weight, "weight"), numpy_helper.from_array(bias, "bias")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)], ir_version=10)
    onnx.save_model(model, model_path, save_as_external_data=True, location="weights.bin", size_threshold=0)
    return {"weight": weight.ravel().tolist(), "bias": bias.ravel().tolist()}


def main() -> None:
    command = sys.argv[1]
    if command == "run":
        result = run(sys.argv[2], sys.argv[3], sys.argv[4])
    elif command == "inspect":
        result = inspect(sys.argv[2])
    elif command == "make-external":
        result = make_external(sys.argv[2])
    else:
        raise SystemExit(f"unknown command {command}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
