"""onnxruntime's quantize_dynamic on one model: the reference our int8 files are compared with.

Usage: python quantize_dynamic_reference.py INPUT OUTPUT [QInt8|QUInt8]
Prints one JSON line: {"bytes": ..., "ops": {op_type: count}}.
"""

import collections
import json
import os
import sys

import onnx
from onnxruntime.quantization import QuantType, quantize_dynamic


def main():
    source, target = sys.argv[1], sys.argv[2]
    weight_type = QuantType[sys.argv[3]] if len(sys.argv) > 3 else QuantType.QInt8
    # Shape inference cannot type the outputs of com.microsoft nodes (Attention, BiasGelu): say float.
    quantize_dynamic(source, target, weight_type=weight_type, extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    ops = collections.Counter(node.op_type for node in onnx.load(target).graph.node)
    print(json.dumps({"bytes": os.path.getsize(target), "ops": dict(ops)}), flush=True)


if __name__ == "__main__":
    main()
