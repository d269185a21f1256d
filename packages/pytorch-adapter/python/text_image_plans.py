"""The export plan of a dual-encoder text-image model (CLIP, SigLIP, ...): one `model.onnx` that takes
`input_ids` (+ `attention_mask`) and `pixel_values` and returns `logits_per_image`, `logits_per_text`,
`text_embeds` and `image_embeds`, with the text and image batches independent, as Optimum names them
(`text_batch_size`, `image_batch_size`). Height and width are the vision config's image size: the
position embeddings are sized for it."""

from __future__ import annotations

from typing import Any, Dict, List

from bridge_errors import BridgeError
from export_plan import ExportPlan, TaskModule
from io_detection import InputSpec, SizeSet

TEXT_IMAGE_OUTPUTS = ["logits_per_image", "logits_per_text", "text_embeds", "image_embeds"]


# Inputs of dual encoders whose images come patchified with a mask (Siglip2) or as video: not this plan's layout.
_OTHER_IMAGE_INPUTS = ("pixel_attention_mask", "spatial_shapes", "pixel_values_videos")


def text_image_plan(model, facts: Dict[str, Any], parameters: List[str]) -> ExportPlan:
    other = [name for name in _OTHER_IMAGE_INPUTS if name in parameters]
    if other:
        raise BridgeError(
            "UNSUPPORTED_ARCHITECTURE",
            f"{type(model).__name__} takes {', '.join(other)} besides input_ids and pixel_values; the text-image plan "
            "exports [batch, channels, height, width] images only. Pass an inputSpec for a python-module source instead.",
            {"architecture": type(model).__name__, "inputs": other},
        )
    size = int(facts.get("image_size") or 224)
    channels = int(facts.get("num_channels") or 3)
    names = [name for name in ("input_ids", "attention_mask") if name in parameters] + ["pixel_values"]
    specs = [InputSpec(name, "int64", ["text_batch_size", "sequence_length"]) for name in names[:-1]]
    specs.append(InputSpec("pixel_values", "float32", ["image_batch_size", channels, size, size]))
    extra = {"return_loss": False} if "return_loss" in parameters else {}

    def call(inner, inputs):
        output = inner(**inputs, **extra)
        return [output[name] for name in TEXT_IMAGE_OUTPUTS]

    limit = int(facts.get("max_position_embeddings") or 77)
    export = SizeSet("export", {"text_batch_size": 2, "image_batch_size": 3, "sequence_length": min(5, limit)})
    cases = [SizeSet("", {"text_batch_size": 3, "image_batch_size": 1, "sequence_length": min(7, limit)}),
             SizeSet("", {"text_batch_size": 2, "image_batch_size": 2, "sequence_length": min(16, limit)}, pad_attention=True)]
    output_dims = {"logits_per_image": {0: "image_batch_size", 1: "text_batch_size"},
                   "logits_per_text": {0: "text_batch_size", 1: "image_batch_size"},
                   "text_embeds": {0: "text_batch_size"}, "image_embeds": {0: "image_batch_size"}}
    notes = [f"model: height and width are fixed at the vision config's image size {size}x{size} (its position "
             "embeddings are sized for it)."]
    return ExportPlan("model", TaskModule(model, names, call), specs, list(TEXT_IMAGE_OUTPUTS), export, cases, facts,
                      output_dims=output_dims, notes=notes)
