"""Exports two tiny random-weight torch models for the ONNX IO round-trip tests.

Usage: python export_torch_models.py OUTPUT_DIRECTORY
Writes dynamo.onnx (torch.onnx.export(dynamo=True)) and torchscript.onnx (dynamo=False),
and prints a JSON line with facts about them.
"""
import json
import os
import sys
import warnings

import torch

warnings.filterwarnings("ignore")


class TinyBlock(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = torch.nn.Linear(8, 16)
        self.norm = torch.nn.LayerNorm(16)
        self.head = torch.nn.Linear(16, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hidden = torch.nn.functional.gelu(self.embed(x))
        hidden = self.norm(hidden) * x.shape[-1]
        return torch.softmax(self.head(hidden), dim=-1)


def main() -> None:
    output_directory = sys.argv[1]
    torch.manual_seed(0)
    model = TinyBlock().eval()
    example = torch.randn(2, 3, 8)
    dynamic = {"x": {0: torch.export.Dim("batch"), 1: torch.export.Dim("sequence")}}
    dynamo_path = os.path.join(output_directory, "dynamo.onnx")
    program = torch.onnx.export(model, (example,), dynamo=True, dynamic_shapes=dynamic, input_names=["x"], output_names=["probabilities"])
    program.save(dynamo_path)
    script_path = os.path.join(output_directory, "torchscript.onnx")
    torch.onnx.export(
        model,
        (example,),
        script_path,
        dynamo=False,
        input_names=["x"],
        output_names=["probabilities"],
        dynamic_axes={"x": {0: "batch", 1: "sequence"}},
        opset_version=17,
    )
    print(json.dumps({"dynamo": dynamo_path, "torchscript": script_path}))


if __name__ == "__main__":
    main()
