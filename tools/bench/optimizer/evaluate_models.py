"""Accuracy against fp32 and CPU latency of ONNX variants, in onnxruntime (Python).
usage: python evaluate_models.py FP32_MODEL VARIANT... ; prints one JSON line per model.
Accuracy: batch 8 (sequence 32 for text models), cosine of the flattened output and the fraction
of rows whose last-axis argmax agrees. Latency: batch 1 and 8, 3 warm-up runs, then ROUNDS rounds in
which every model runs once (interleaved); the median is reported."""
import json
import os
import statistics
import sys
import time

import numpy as np
import onnxruntime as ort

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "15"))


def feeds(session, batch, seed=0):
    rng = np.random.default_rng(seed)
    result = {}
    for meta in session.get_inputs():
        if meta.type == "tensor(int64)":
            shape = (batch, 32)
            if "mask" in meta.name:
                result[meta.name] = np.ones(shape, np.int64)
            elif "type" in meta.name:
                result[meta.name] = np.zeros(shape, np.int64)
            else:
                result[meta.name] = rng.integers(1000, 30000, shape, dtype=np.int64)  # real word pieces, not [unused] ids
        else:
            result[meta.name] = rng.standard_normal((batch, 3, 224, 224)).astype(np.float32)
    return result


def open_session(path):
    options = ort.SessionOptions()
    options.intra_op_num_threads = int(os.environ.get("BENCH_THREADS", "2"))
    options.log_severity_level = 3
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def main():
    paths = sys.argv[1:]
    sessions = [open_session(path) for path in paths]
    reference = sessions[0].run(None, feeds(sessions[0], 8))[0].astype(np.float64)
    results = []
    for path, session in zip(paths, sessions):
        output = session.run(None, feeds(session, 8))[0].astype(np.float64)
        cosine = float(np.dot(reference.ravel(), output.ravel()) / (np.linalg.norm(reference) * np.linalg.norm(output)))
        agreement = float(np.mean(np.argmax(reference, -1) == np.argmax(output, -1)))
        results.append({"model": os.path.basename(path), "bytes": os.path.getsize(path) + sum(
            os.path.getsize(os.path.join(os.path.dirname(path), name)) for name in os.listdir(os.path.dirname(path))
            if name.startswith(os.path.basename(path) + ".") and name.endswith(".data")),
            "cosine": cosine, "argmaxAgreement": agreement, "maxAbsDiff": float(np.max(np.abs(reference - output)))})
    for batch in (1, 8):
        inputs = [feeds(session, batch, 1) for session in sessions]
        for session, feed in zip(sessions, inputs):
            for _ in range(3):
                session.run(None, feed)
        timings = [[] for _ in sessions]
        for _ in range(ROUNDS):
            for index, (session, feed) in enumerate(zip(sessions, inputs)):
                started = time.perf_counter()
                session.run(None, feed)
                timings[index].append((time.perf_counter() - started) * 1000)
        for result, timing in zip(results, timings):
            result[f"latencyMsBatch{batch}"] = statistics.median(timing)
    for result in results:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
