"""Builds, with onnx.helper, a small model that sets the newer ONNX fields the exporters rarely
write: local functions with attribute_proto / overload / value_info / metadata_props, node overload
and metadata, graph metadata, a sparse initializer, an If subgraph, int64 attributes beyond 2**53,
float16 and int64 tensors, segment, doc strings and training info.

Usage: python make_feature_model.py OUTPUT_PATH
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def main() -> None:
    output_path = sys.argv[1]
    entry = helper.make_tensor_value_info
    function = helper.make_function(
        "custom.local",
        "ScaledAdd",
        ["a", "b"],
        ["sum"],
        [
            helper.make_node("Constant", [], ["scale"], value_float=2.0),
            helper.make_node("Mul", ["a", "scale"], ["scaled"]),
            helper.make_node("Add", ["scaled", "b"], ["sum"]),
        ],
        [helper.make_opsetid("", 21)],
        attributes=[],
    )
    function.attribute_proto.append(helper.make_attribute("alpha", 0.5))
    function.overload = "v1"
    function.value_info.append(entry("scaled", TensorProto.FLOAT, ["batch", 3]))
    function.metadata_props.append(onnx.StringStringEntryProto(key="origin", value="test"))
    function.doc_string = "a local function"

    then_graph = helper.make_graph(
        [helper.make_node("Identity", ["y"], ["branch_out"])], "then", [], [entry("branch_out", TensorProto.FLOAT, [2, 3])]
    )
    else_graph = helper.make_graph(
        [helper.make_node("Neg", ["y"], ["branch_out"])], "else", [], [entry("branch_out", TensorProto.FLOAT, [2, 3])]
    )
    call = helper.make_node("ScaledAdd", ["x", "weight"], ["y"], domain="custom.local", name="call", overload="v1")
    call.metadata_props.append(onnx.StringStringEntryProto(key="pkg.torch.onnx.stack_trace", value="line 1"))
    condition = helper.make_node("ReduceSum", ["y"], ["total"], keepdims=0, name="sum")
    positive = helper.make_node("Greater", ["total", "zero"], ["positive"])
    branch = helper.make_node("If", ["positive"], ["out"], then_branch=then_graph, else_branch=else_graph)
    sliced = helper.make_node("Slice", ["out", "starts", "ends"], ["sliced"], name="slice")
    tag = helper.make_node("Tag", ["sliced"], ["tagged"], domain="gpux.test", name="tag", big=[2**62, -(2**63), -1, 7], scale=0.1)

    weight = numpy_helper.from_array(np.arange(6, dtype=np.float32).reshape(2, 3), "weight")
    weight.metadata_props.append(onnx.StringStringEntryProto(key="quant", value="none"))
    weight.doc_string = "weights"
    zero = numpy_helper.from_array(np.array(0, dtype=np.float32), "zero")
    starts = helper.make_tensor("starts", TensorProto.INT64, [1], [0])
    ends = helper.make_tensor("ends", TensorProto.INT64, [1], [2**63 - 1])
    half = helper.make_tensor("half", TensorProto.FLOAT16, [3], np.array([1.5, -2.0, 65504.0], dtype=np.float16).view(np.uint16).tolist())
    floats = helper.make_tensor("floats", TensorProto.FLOAT, [2], [0.25, -3.5])
    floats.segment.begin = 0
    floats.segment.end = 2
    sparse = helper.make_sparse_tensor(
        helper.make_tensor("sparse_values", TensorProto.FLOAT, [2], [1.0, 2.0]),
        helper.make_tensor("sparse_indices", TensorProto.INT64, [2], [0, 4]),
        [2, 3],
    )

    graph = helper.make_graph(
        [call, condition, positive, branch, sliced, tag],
        "features",
        [entry("x", TensorProto.FLOAT, ["batch", 3])],
        [entry("sliced", TensorProto.FLOAT, [None, 3]), entry("tagged", TensorProto.FLOAT, [None, 3])],
        initializer=[weight, zero, starts, ends, half, floats],
        sparse_initializer=[sparse],
        doc_string="graph doc",
    )
    graph.metadata_props.append(onnx.StringStringEntryProto(key="graph_key", value="graph_value"))
    graph.value_info.append(entry("y", TensorProto.FLOAT, ["batch", 3]))
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", 21), helper.make_opsetid("custom.local", 1), helper.make_opsetid("gpux.test", 1)],
        functions=[function],
        producer_name="gpux-test",
        producer_version="1.0",
        ir_version=10,
        model_version=2**60,
        doc_string="model doc",
    )
    onnx.helper.set_model_props(model, {"author": "gpux"})
    training = model.training_info.add()
    training.algorithm.CopyFrom(helper.make_graph([], "algorithm", [], []))
    training.update_binding.append(onnx.StringStringEntryProto(key="weight", value="weight"))
    onnx.save(model, output_path)


if __name__ == "__main__":
    main()
