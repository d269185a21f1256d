"""Times Python onnx.load + onnx.save on one model and prints JSON (milliseconds, peak RSS).

Usage: python python_load_save.py INPUT OUTPUT [external]
"""
import json
import resource
import sys
import time

import onnx


def main() -> None:
    source, target = sys.argv[1], sys.argv[2]
    external = len(sys.argv) > 3 and sys.argv[3] == "external"
    started = time.perf_counter()
    model = onnx.load(source)
    loaded = time.perf_counter()
    if external:
        onnx.save_model(model, target, save_as_external_data=True, location=target.split("/")[-1] + ".data")
    else:
        onnx.save(model, target)
    saved = time.perf_counter()
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"loadMs": (loaded - started) * 1000, "saveMs": (saved - loaded) * 1000, "peakRssBytes": peak_kib * 1024}))


if __name__ == "__main__":
    main()
