"""Exports a small Keras transformer encoder (MultiHeadAttention + LayerNormalization + GELU MLP,
random non-zero biases) with tf2onnx and the tf-adapter's extra op handlers, as @gpux/tf-adapter does, for the O2 fusion tests.

usage: export_keras_attention_fixture.py OUT_DIR [--layers 2] [--hidden 32] [--heads 4] [--sequence 12|dynamic]
Prints one JSON line per file: {"model": "keras-mha", "sequence": ..., "path": ...}.
"""

import argparse
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf2onnx  # noqa: E402

# The tf-adapter's handlers for the TensorFlow ops tf2onnx 1.17 lacks (Erfc, in Keras' exact GELU).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "tf-adapter", "python"))
from tf_extra_ops import extra_tf_op_handlers  # noqa: E402


def build(layers, hidden, heads, sequence):
    keras.utils.set_random_seed(99)
    inputs = keras.Input((sequence, hidden), name="embeddings")
    x = inputs
    for _ in range(layers):
        attention = keras.layers.MultiHeadAttention(num_heads=heads, key_dim=hidden // heads)(x, x)
        x = keras.layers.LayerNormalization(epsilon=1e-6)(x + attention)
        mlp = keras.layers.Dense(hidden * 2, activation="gelu")(x)
        x = keras.layers.LayerNormalization(epsilon=1e-6)(x + keras.layers.Dense(hidden)(mlp))
    model = keras.Model(inputs, x, name="keras_encoder")
    rng = np.random.default_rng(5)
    # Non-zero biases and norms, so that no Add is dropped as a no-op by the converter.
    for weight in model.weights:
        name = weight.path.rsplit("/", 1)[-1]
        if name in ("bias", "beta", "gamma"):
            weight.assign(rng.normal(0.0, 0.1, weight.shape).astype(np.float32) + (1.0 if name == "gamma" else 0.0))
    return model


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out_dir")
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--sequence", default="12")
    args = parser.parse_args()
    sequence = None if args.sequence == "dynamic" else int(args.sequence)
    model = build(args.layers, args.hidden, args.heads, sequence)
    spec = (tf.TensorSpec((None, sequence, args.hidden), tf.float32, name="embeddings"),)
    onnx_model, _ = tf2onnx.convert.from_keras(model, input_signature=spec, opset=18, custom_op_handlers=extra_tf_op_handlers())
    path = os.path.join(args.out_dir, f"keras-mha-{args.sequence}.onnx")
    with open(path + ".tmp", "wb") as handle:
        handle.write(onnx_model.SerializeToString())
    os.replace(path + ".tmp", path)
    print(json.dumps({"model": "keras-mha", "sequence": args.sequence, "path": path}))


if __name__ == "__main__":
    main()
