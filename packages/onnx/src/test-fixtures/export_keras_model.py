"""Converts a tiny random-weight Keras CNN to ONNX with tf2onnx for the round-trip tests.

Usage: python export_keras_model.py OUTPUT_PATH
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf2onnx  # noqa: E402


def main() -> None:
    output_path = sys.argv[1]
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((8, 8, 3)),
            keras.layers.Conv2D(4, 3, activation="relu"),
            keras.layers.BatchNormalization(),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(5, activation="softmax"),
        ]
    )
    signature = (tf.TensorSpec((None, 8, 8, 3), tf.float32, name="pixels"),)

    @tf.function(input_signature=signature)
    def serve(pixels):
        return model(pixels, training=False)

    tf2onnx.convert.from_function(serve, input_signature=signature, opset=17, output_path=output_path)
    print(json.dumps({"path": output_path}))


if __name__ == "__main__":
    main()
