"""One measured run of the Python reference tools: `python python_reference.py MODE INPUT OUTPUT [MODEL_TYPE]`.
MODE: int8 (onnxruntime.quantization.quantize_dynamic, QInt8, per tensor) | int8-per-channel |
q4 (onnxruntime.quantization.matmul_nbits_quantizer.MatMulNBitsQuantizer, block 32, symmetric) |
fp16 (onnxruntime.transformers.float16.convert_float_to_float16, keep_io_types=True) |
O2 (onnxruntime.transformers.optimizer.optimize_model with MODEL_TYPE 'bert' or 'gpt2'; MODEL_TYPE
'none' (ResNet-50 has no transformer model type; also run for GPT-2 as a second anchor): onnxruntime's own graph optimizations at
ORT_ENABLE_EXTENDED written with SessionOptions.optimized_model_filepath).
Prints one JSON line with wall time and peak RSS (ru_maxrss); a tool that raises gives a line with
"failed" and no output file."""
import collections
import json
import resource
import sys
import time


def optimize(source, target, model_type):
    if model_type == "none":
        import onnxruntime as ort
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
        options.optimized_model_filepath = target
        ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])
        return {"anchor": "SessionOptions ORT_ENABLE_EXTENDED"}
    from onnxruntime.transformers.optimizer import optimize_model
    # num_heads/hidden_size 0: detected from the graph. Default opt_level of the model type; CPU.
    optimized = optimize_model(source, model_type=model_type, num_heads=0, hidden_size=0, use_gpu=False)
    optimized.save_model_to_file(target)
    return {"fusedOperators": optimized.get_fused_operator_statistics()}


def main():
    mode, source, target = sys.argv[1:4]
    model_type = sys.argv[4] if len(sys.argv) > 4 else "none"
    started = time.perf_counter()
    detail = None
    if mode == "fp16":
        import onnx
        from onnxruntime.transformers.float16 import convert_float_to_float16
        model = onnx.load(source)
        converted = convert_float_to_float16(model, keep_io_types=True)
        onnx.save(converted, target)
    elif mode == "O2":
        try:
            detail = optimize(source, target, model_type)
        except Exception as error:  # reported as a result row: the tool failed on this model
            print(json.dumps({"tool": "onnxruntime-python", "mode": mode, "modelType": model_type,
                              "failed": f"{type(error).__name__}: {error}"}))
            return
    elif mode == "q4":
        import onnx
        from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer
        quantizer = MatMulNBitsQuantizer(onnx.load(source), block_size=32, is_symmetric=True)
        quantizer.process()
        quantizer.model.save_model_to_file(target)
    else:
        import onnx
        from onnxruntime.quantization import QuantType, quantize_dynamic
        # DefaultTensorType: shape inference cannot type com.microsoft outputs (fused O2 graphs).
        quantize_dynamic(source, target, weight_type=QuantType.QInt8, per_channel=mode.endswith("per-channel"),
                         extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    wall = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if mode == "O2":  # counted after the measurement

        import onnx
        counts = collections.Counter(node.op_type for node in onnx.load(target, load_external_data=False).graph.node)
        detail = {**(detail or {}), "nodes": sum(counts.values()), "opTypes": dict(counts.most_common(8))}
    print(json.dumps({"tool": "onnxruntime-python", "mode": mode, "modelType": model_type, "wallSeconds": wall,
                      "peakRssMiB": peak, "detail": detail}))


if __name__ == "__main__":
    main()
