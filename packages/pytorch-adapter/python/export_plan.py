"""An export plan: one ONNX file to write, the module that computes it, its inputs and outputs, and
the sizes of the sample inputs used for export and for each reference case."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List

import torch

from io_detection import InputSpec, SizeSet


class TaskModule(torch.nn.Module):
    """Calls `call(model, inputs_by_name)` with positional inputs in `input_names` order and
    returns a tuple of tensors, so every exporter sees plain tensors in and out."""

    def __init__(self, model: torch.nn.Module, input_names: List[str], call: Callable[[Any, Dict[str, Any]], tuple]):
        super().__init__()
        self.model = model
        self.input_names = list(input_names)
        self.call = call

    def forward(self, *inputs):
        return tuple(self.call(self.model, dict(zip(self.input_names, inputs))))


@dataclass
class ExportPlan:
    name: str
    module: Any
    inputs: List[InputSpec]
    output_names: List[str]
    export_sizes: SizeSet
    case_sizes: List[SizeSet]
    facts: Dict[str, Any] = field(default_factory=dict)
    # "module" plans are nn.Modules; "exported-program" plans hold a torch.export ExportedProgram.
    kind: str = "module"
    # Exporters this plan can use, in order of preference ("dynamo", "torchscript").
    exporters: List[str] = field(default_factory=lambda: ["dynamo", "torchscript"])
    # Names for symbolic output dims, by output name and axis, applied after export.
    output_dims: Dict[str, Dict[int, str]] = field(default_factory=dict)
    # Notes for the conversion report (a size fixed in the graph and why).
    notes: List[str] = field(default_factory=list)
