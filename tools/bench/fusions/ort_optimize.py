"""Reference: onnxruntime's Python transformers optimizer on the same input model.

usage: python ort_optimize.py INPUT OUTPUT MODEL_TYPE  (MODEL_TYPE: bert | gpt2 | vit)
Prints one JSON line: wall time and the op histogram of the fused ops it wrote."""

import collections
import json
import sys
import time

import types

import onnx
import onnxruntime

if "torch" not in sys.modules:
    try:
        import torch  # noqa: F401
    except ImportError:
        # onnxruntime 1.32's optimize_by_onnxruntime imports torch only to read torch.version.hip
        # (ROCm builds); this venv has no torch, so answer that question with "not ROCm".
        stub = types.ModuleType("torch")
        stub.version = types.SimpleNamespace(hip=None, cuda=None)
        sys.modules["torch"] = stub
from onnxruntime.transformers.optimizer import optimize_model  # noqa: E402


def main():
    source, target, model_type = sys.argv[1:4]
    started = time.perf_counter()
    # num_heads=0/hidden_size=0: let the optimizer detect them from the graph, as its docs advise.
    optimized = optimize_model(source, model_type=model_type, opt_level=2, num_heads=0, hidden_size=0)
    optimized.save_model_to_file(target)
    wall = time.perf_counter() - started
    counts = collections.Counter(node.op_type for node in onnx.load(target, load_external_data=False).graph.node)
    fused = {op: counts[op] for op in ("Attention", "MultiHeadAttention", "SkipLayerNormalization", "LayerNormalization",
                                        "EmbedLayerNormalization", "Gelu", "BiasGelu", "FastGelu", "Softmax") if counts[op]}
    print(json.dumps({"tool": "ort-python-o2", "onnxruntime": onnxruntime.__version__, "wallSeconds": wall, "ops": fused}))


if __name__ == "__main__":
    main()
