"""One measured run of the Python reference tools: `python python_reference.py MODE INPUT OUTPUT`.
MODE: int8 (onnxruntime.quantization.quantize_dynamic, QInt8, per tensor) | int8-per-channel |
fp16 (onnxruntime.transformers.float16.convert_float_to_float16, keep_io_types=True).
Prints one JSON line with wall time and peak RSS (ru_maxrss)."""
import json
import resource
import sys
import time


def main():
    mode, source, target = sys.argv[1:4]
    started = time.perf_counter()
    if mode == "fp16":
        import onnx
        from onnxruntime.transformers.float16 import convert_float_to_float16
        model = onnx.load(source)
        converted = convert_float_to_float16(model, keep_io_types=True)
        onnx.save(converted, target)
    else:
        from onnxruntime.quantization import QuantType, quantize_dynamic
        quantize_dynamic(source, target, weight_type=QuantType.QInt8, per_channel=mode.endswith("per-channel"))
    wall = time.perf_counter() - started
    print(json.dumps({"tool": "onnxruntime-python", "mode": mode, "wallSeconds": wall,
                      "peakRssMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


if __name__ == "__main__":
    main()
