"""Builds the two SavedModels of the tf-adapter large-model benchmark (issue 6), seeded.

usage: make_large_models.py OUT_DIR
- mlp_2_4gb: four dense layers 8192 -> 18432 -> 8192 -> 18432 -> 8192 (float32, 2.42 GB of weights);
- embedding_2_5gb: one 600000 x 1024 float32 table (2.46 GB, a single tensor over 2 GiB) looked up
  by int32 ids and mean-pooled.
Each is written under a temporary name and renamed when complete.
"""

import os
import shutil
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402


def weight(rng, rows, columns):
    # Scaled so activations stay near 1 through the stack (validation compares absolute values).
    return tf.Variable(rng.standard_normal((rows, columns), dtype=np.float32) / np.float32(np.sqrt(rows)))


class Mlp(tf.Module):
    def __init__(self):
        super().__init__()
        rng = np.random.default_rng(6)
        sizes = [8192, 18432, 8192, 18432, 8192]
        self.kernels = [weight(rng, rows, columns) for rows, columns in zip(sizes, sizes[1:])]

    @tf.function(input_signature=[tf.TensorSpec([None, 8192], tf.float32, name="features")])
    def serve(self, features):
        x = features
        for index, kernel in enumerate(self.kernels):
            x = tf.matmul(x, kernel)
            if index < len(self.kernels) - 1:
                x = tf.nn.relu(x)
        return {"hidden": x}


class Embedding(tf.Module):
    def __init__(self):
        super().__init__()
        rng = np.random.default_rng(7)
        self.table = tf.Variable(rng.standard_normal((600_000, 1024), dtype=np.float32))

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int32, name="ids")])
    def serve(self, ids):
        return {"pooled": tf.reduce_mean(tf.gather(self.table, tf.math.floormod(ids, 600_000)), axis=1)}


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    for name, build in (("mlp_2_4gb", Mlp), ("embedding_2_5gb", Embedding)):
        target = os.path.join(out_dir, name)
        if os.path.isdir(target):
            print(f"{target} (exists)")
            continue
        module = build()
        shutil.rmtree(target + ".tmp", ignore_errors=True)
        tf.saved_model.save(module, target + ".tmp", signatures={"serving_default": module.serve})
        os.replace(target + ".tmp", target)
        del module
        print(target)


if __name__ == "__main__":
    main(sys.argv[1])
