"""tf2onnx handlers for TensorFlow ops that tf2onnx 1.17 does not map but ONNX can express.

Keras 3's exact GELU (`keras.activations.gelu(approximate=False)`) is written with `Erfc`, which
tf2onnx lacks; `erfc(x) = 1 - erf(x)`.
"""

from __future__ import annotations

from typing import Any, Dict

import numpy as np


def _convert_erfc(ctx, node, name, args):  # noqa: ARG001 - tf2onnx's handler signature
    from tf2onnx import utils

    dtype = utils.map_onnx_to_numpy_type(ctx.get_dtype(node.input[0]))
    erf = ctx.make_node("Erf", [node.input[0]], shapes=[ctx.get_shape(node.input[0])], dtypes=[ctx.get_dtype(node.input[0])])
    one = ctx.make_const(utils.make_name(f"{node.name}_one"), np.array(1, dtype=dtype))
    node.type = "Sub"
    node.domain = ""
    ctx.replace_inputs(node, [one.output[0], erf.output[0]])


def extra_tf_op_handlers() -> Dict[str, Any]:
    """The `custom_op_handlers` GPUX passes to every tf2onnx conversion of a TensorFlow graph."""
    return {"Erfc": (_convert_erfc, [])}
