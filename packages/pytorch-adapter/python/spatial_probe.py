"""Whether a vision model's exported graph really accepts other image sizes.

Running the PyTorch model at another size is not enough: Dinov2 interpolates its position embeddings in
Python only when the patch count differs from the one it was traced at, and MobileViT's unfold reshapes
are valid only for a range of sizes. torch.export records those assumptions as guards, so the probe
exports the module with dynamic height/width at the export size and runs the exported program at
another size: a failed guard or a different result means the graph is not size-independent, and the
plan fixes height/width at the config's image size instead.
"""

from __future__ import annotations

from typing import Tuple

import torch


def exported_graph_accepts(module: torch.nn.Module, sample: torch.Tensor, other: torch.Tensor) -> Tuple[bool, str]:
    """(True, "") when the program torch.export traces at `sample` (batch, height and width dynamic) gives the
    eager module's output at `other`; otherwise (False, why). `module` takes its inputs as `*inputs`
    (export_plan.TaskModule)."""
    dynamic = torch.export.Dim.DYNAMIC
    try:
        with torch.no_grad():
            expected = module(other)
            program = torch.export.export(module, (sample,), dynamic_shapes=(({0: dynamic, 2: dynamic, 3: dynamic},),), strict=False)
            actual = program.module()(other)
    except Exception as error:  # noqa: BLE001 - any failure means the traced graph does not take that size
        return False, f"{type(error).__name__}: {str(error).splitlines()[0][:300] if str(error) else ''}"
    for want, got in zip(expected, actual):
        if want.shape != got.shape or not torch.allclose(want, got, rtol=1e-3, atol=1e-4):
            return False, f"the traced graph gives other values at {tuple(other.shape[2:])}"
    return True, ""
