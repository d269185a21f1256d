"""tf2onnx handlers for TFLite custom ops that MediaPipe models use and tf2onnx does not map.

MediaPipe's `Convolution2DTransposeBias` is a transposed convolution with a bias. Its custom
options are a raw `TfLiteTransposeConvParams` struct (int32 padding, stride_width, stride_height),
not a flexbuffer, so tf2onnx drops them; we read them from the flatbuffer ourselves.
"""

from __future__ import annotations

import struct
from typing import Any, Dict, Tuple

import numpy as np

TRANSPOSE_CONV_BIAS = "Convolution2DTransposeBias"


def read_custom_op_options(tflite_path: str) -> Dict[str, Tuple[str, bytes]]:
    """Maps each custom op's first output tensor name to (custom code, raw custom options)."""
    from tf2onnx.tflite import Model  # the flatbuffer schema that tf2onnx ships

    with open(tflite_path, "rb") as handle:
        buffer = handle.read()
    model = Model.Model.GetRootAsModel(buffer, 0)
    codes = [model.OperatorCodes(index) for index in range(model.OperatorCodesLength())]
    found: Dict[str, Tuple[str, bytes]] = {}
    for graph_index in range(model.SubgraphsLength()):
        graph = model.Subgraphs(graph_index)
        for op_index in range(graph.OperatorsLength()):
            op = graph.Operators(op_index)
            custom_code = codes[op.OpcodeIndex()].CustomCode()
            if not custom_code or op.OutputsLength() == 0:
                continue
            output_name = graph.Tensors(op.Outputs(0)).Name().decode("utf-8")
            options = b"" if op.CustomOptionsIsNone() else op.CustomOptionsAsNumpy().tobytes()
            found[output_name] = (custom_code.decode("utf-8"), options)
    return found


def _transpose_conv_params(options: bytes) -> Tuple[int, int, int]:
    if len(options) < 12:
        raise ValueError(f"{TRANSPOSE_CONV_BIAS} has {len(options)} bytes of options, expected 12")
    padding, stride_width, stride_height = struct.unpack("<iii", options[:12])
    return padding, stride_width, stride_height


def make_custom_op_handlers(tflite_path: str) -> Dict[str, Any]:
    """Returns tf2onnx `custom_op_handlers` for the custom ops found in `tflite_path`."""
    options_by_output = read_custom_op_options(tflite_path)
    if not any(code == TRANSPOSE_CONV_BIAS for code, _ in options_by_output.values()):
        return {}

    def convert_transpose_conv_bias(ctx, node, name, args):  # noqa: ARG001 - tf2onnx's handler signature
        code_and_options = options_by_output.get(node.output[0])
        if code_and_options is None:
            raise ValueError(f"No custom options found for {TRANSPOSE_CONV_BIAS} node {node.name}")
        padding, stride_width, stride_height = _transpose_conv_params(code_and_options[1])
        weights_shape = ctx.get_shape(node.input[1])  # [out_channels, kernel_h, kernel_w, in_channels]
        if weights_shape is None or len(weights_shape) != 4 or any(d is None or d < 0 for d in weights_shape):
            raise ValueError(f"{TRANSPOSE_CONV_BIAS} node {node.name} needs constant weights of known shape")
        kernel_h, kernel_w = int(weights_shape[1]), int(weights_shape[2])
        if padding == 1:  # SAME: output = input * stride, the padding split as TFLite does
            total_h, total_w = max(kernel_h - stride_height, 0), max(kernel_w - stride_width, 0)
            pads = [total_h // 2, total_w // 2, total_h - total_h // 2, total_w - total_w // 2]
        else:  # VALID
            pads = [0, 0, 0, 0]
        output_name = node.output[0]
        output_shape = ctx.get_shape(output_name)
        output_dtype = ctx.get_dtype(output_name)
        input_nchw = ctx.make_node("Transpose", [node.input[0]], attr={"perm": [0, 3, 1, 2]})
        weights_iohw = ctx.make_node("Transpose", [node.input[1]], attr={"perm": [3, 0, 1, 2]})
        conv_inputs = [input_nchw.output[0], weights_iohw.output[0]]
        if len(node.input) > 2 and node.input[2]:
            conv_inputs.append(node.input[2])
        nchw_shape = None
        if output_shape is not None and len(output_shape) == 4:
            nchw_shape = [output_shape[0], output_shape[3], output_shape[1], output_shape[2]]
        conv = ctx.make_node(
            "ConvTranspose",
            conv_inputs,
            attr={"kernel_shape": [kernel_h, kernel_w], "strides": [stride_height, stride_width], "pads": pads},
            shapes=[nchw_shape],
            dtypes=[output_dtype],
        )
        ctx.remove_node(node.name)
        ctx.make_node(
            "Transpose",
            [conv.output[0]],
            attr={"perm": [0, 2, 3, 1]},
            outputs=[output_name],
            shapes=[output_shape],
            dtypes=[output_dtype],
        )

    return {"TFL_" + TRANSPOSE_CONV_BIAS: (convert_transpose_conv_bias, [])}


def describe_handlers(handlers: Dict[str, Any]) -> str:
    return ", ".join(sorted(name.replace("TFL_", "") for name in handlers))


__all__ = ["make_custom_op_handlers", "describe_handlers", "read_custom_op_options", "np"]
