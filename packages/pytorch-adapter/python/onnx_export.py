"""Runs torch.onnx.export (dynamo first, the TorchScript exporter as the fallback), then names the
graph's inputs, outputs and symbolic dims as planned and checks the file with onnx.checker."""

from __future__ import annotations

import os
import re
import shutil
from typing import Dict, List, Tuple

import torch

from bridge_errors import unsupported_operator_error
from export_plan import ExportPlan
from io_detection import InputSpec

# Bytes of weights past which they go to ONNX external data: a protobuf file cannot exceed 2 GiB, and the
# graph itself needs room too. adapterOptions.externalDataThresholdBytes overrides it.
EXTERNAL_DATA_THRESHOLD = 1_900_000_000
_ANSI = re.compile(r"\x1b\[[0-9;]*m")

DYNAMO = "torch.onnx.export(dynamo=True)"
TORCHSCRIPT = "torch.onnx.export(dynamo=False)"

ELEMENT_TYPES = {1: "float32", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32", 7: "int64", 8: "string",
                 9: "bool", 10: "float16", 11: "float64", 12: "uint32", 13: "uint64", 16: "bfloat16"}


def _weight_bytes(plan: ExportPlan) -> int:
    module = plan.module
    if plan.kind == "exported-program":
        tensors = list(module.state_dict.values()) + list(getattr(module, "constants", {}).values())
    else:
        tensors = list(module.state_dict().values())
    return sum(t.numel() * t.element_size() for t in tensors if isinstance(t, torch.Tensor))


def _summary(error: BaseException) -> str:
    """The line of an exporter error that names the root cause (torch puts it under 'Exception summary')."""
    text = _ANSI.sub("", str(error)).strip()
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if "exception summary" in line.lower():
            cause = next((later for later in lines[index + 1:] if later.strip()), "")
            return re.sub(r"^<class '([\w.]+)'>", r"\1", cause.strip())[:400]
    return f"{type(error).__name__}: {lines[0][:400]}" if lines else type(error).__name__


def _dynamo(plan: ExportPlan, sample: List[torch.Tensor], path: str, opset: int, external: bool) -> None:
    dynamic = []
    for spec in plan.inputs:
        axes = {axis: torch.export.Dim.DYNAMIC for axis, dim in enumerate(spec.dims) if isinstance(dim, str)}
        dynamic.append(axes or None)
    if plan.kind == "exported-program":
        program = torch.onnx.export(plan.module, tuple(sample), dynamo=True, opset_version=opset, optimize=True,
                                    input_names=[s.name for s in plan.inputs], output_names=plan.output_names)
    else:
        program = torch.onnx.export(plan.module, tuple(sample), dynamo=True, opset_version=opset, optimize=True,
                                    dynamic_shapes=(tuple(dynamic),), input_names=[s.name for s in plan.inputs],
                                    output_names=plan.output_names)
    program.save(path, external_data=external)


def _torchscript(plan: ExportPlan, sample: List[torch.Tensor], path: str, opset: int) -> None:
    dynamic_axes: Dict[str, Dict[int, str]] = {}
    for spec in plan.inputs:
        axes = {axis: dim for axis, dim in enumerate(spec.dims) if isinstance(dim, str)}
        if axes:
            dynamic_axes[spec.name] = axes
    torch.onnx.export(plan.module, tuple(sample), path, dynamo=False, opset_version=opset,
                      input_names=[s.name for s in plan.inputs], output_names=plan.output_names,
                      dynamic_axes=dynamic_axes, do_constant_folding=True)


def export_plan(plan: ExportPlan, sample: List[torch.Tensor], directory: str, opset: int, choice: str,
                notes: List[str], external_threshold: int = EXTERNAL_DATA_THRESHOLD) -> Tuple[str, str, bool]:
    """Exports `plan` into `directory/<name>.onnx`; returns (path, exporter description, external data wanted)."""
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, f"{plan.name}.onnx")
    external = _weight_bytes(plan) > external_threshold
    order = [e for e in plan.exporters if choice == "auto" or e == choice]
    if not order:
        raise ValueError(f"exporter {choice!r} cannot export a {plan.kind} source; use one of {plan.exporters}")
    messages: List[str] = []
    summaries: List[str] = []
    for index, exporter in enumerate(order):
        try:
            with torch.no_grad():
                if exporter == "dynamo":
                    # Always external here: renaming and checking then touch only the graph, and the
                    # caller streams the weights back into one file when that is wanted.
                    _dynamo(plan, sample, path, opset, True)
                else:
                    _torchscript(plan, sample, path, opset)
            if index > 0:
                notes.append(f"{plan.name}: the dynamo exporter (torch.export) failed with {summaries[0]}; "
                             "the TorchScript exporter (torch.onnx.export(dynamo=False)) ran instead. It records the path "
                             "the sample inputs take through Python branches on tensor values.")
            return path, (DYNAMO if exporter == "dynamo" else TORCHSCRIPT), external
        except Exception as error:  # noqa: BLE001 - try the next exporter, report all if none works
            messages.append(f"{type(error).__name__}: {error}")
            summaries.append(_summary(error))
            for leftover in os.listdir(directory):
                os.remove(os.path.join(directory, leftover))
            if index == len(order) - 1:
                operator_error = unsupported_operator_error(messages, opset)
                if operator_error is not None:
                    raise operator_error from error
                raise
    raise AssertionError("unreachable")


_SYMBOL = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _uses_external_data(model) -> bool:
    from onnx.external_data_helper import uses_external_data

    return any(uses_external_data(tensor) for tensor in model.graph.initializer)


def finalize_onnx(path: str, plan: ExportPlan, external: bool = False) -> Tuple[List[dict], List[dict], Dict[str, int]]:
    """Renames IO and symbolic dims to the plan's names (outputs as `plan.output_dims` says), moves the
    weights to `<name>.onnx.data` when `external` is set and the exporter left them inline, checks the
    model, and returns its IO specs plus the dims the exporter made static although the plan declared
    them dynamic."""
    import onnx

    model = onnx.load(path, load_external_data=False)
    if external and not _uses_external_data(model):
        model = onnx.load(path)
        onnx.external_data_helper.convert_model_to_external_data(
            model, all_tensors_to_one_file=True, location=f"{os.path.basename(path)}.data", size_threshold=256)
    graph = model.graph
    initializer_names = {init.name for init in graph.initializer}
    graph_inputs = [value for value in graph.input if value.name not in initializer_names]
    renames: Dict[str, str] = {}
    if len(graph_inputs) == len(plan.inputs):
        renames.update({value.name: spec.name for value, spec in zip(graph_inputs, plan.inputs) if value.name != spec.name})
    if len(graph.output) == len(plan.output_names):
        renames.update({value.name: name for value, name in zip(graph.output, plan.output_names) if value.name != name})
    if renames:
        _rename_values(graph, renames)

    symbols: Dict[str, str] = {}
    fixed: Dict[str, int] = {}
    for value, spec in zip(graph_inputs, plan.inputs):
        for dim, planned in zip(value.type.tensor_type.shape.dim, spec.dims):
            if not isinstance(planned, str):
                continue
            if dim.HasField("dim_value"):
                fixed[planned] = dim.dim_value
                continue
            if dim.dim_param and dim.dim_param != planned:
                symbols.setdefault(dim.dim_param, planned)
            dim.dim_param = planned
    for value in list(graph.output) + list(graph.value_info):
        for dim in value.type.tensor_type.shape.dim:
            if dim.dim_param:
                dim.dim_param = _SYMBOL.sub(lambda match: symbols.get(match.group(0), match.group(0)), dim.dim_param)
    _name_output_dims(graph, plan.output_dims)
    onnx.save(model, path)
    onnx.checker.check_model(path)
    return [_tensor_spec(value) for value in graph_inputs], [_tensor_spec(value) for value in graph.output], fixed


def _name_output_dims(graph, output_dims: Dict[str, Dict[int, str]]) -> None:
    """Gives symbolic output dims the planned names (Optimum's `past_sequence_length + sequence_length`
    for present outputs, a short name instead of a conv-length formula), here and in value_info."""
    formulas: Dict[str, str] = {}
    for value in graph.output:
        for axis, name in output_dims.get(value.name, {}).items():
            dims = value.type.tensor_type.shape.dim
            if axis < len(dims) and not dims[axis].HasField("dim_value"):
                if dims[axis].dim_param and dims[axis].dim_param != name:
                    formulas.setdefault(dims[axis].dim_param, name)
                dims[axis].dim_param = name
    for value in graph.value_info:
        for dim in value.type.tensor_type.shape.dim:
            if dim.dim_param in formulas:
                dim.dim_param = formulas[dim.dim_param]


def _rename_values(graph, renames: Dict[str, str]) -> None:
    for value in list(graph.input) + list(graph.output) + list(graph.value_info):
        if value.name in renames:
            value.name = renames[value.name]
    for node in graph.node:
        for index, name in enumerate(node.input):
            if name in renames:
                node.input[index] = renames[name]
        for index, name in enumerate(node.output):
            if name in renames:
                node.output[index] = renames[name]


def _tensor_spec(value) -> dict:
    tensor_type = value.type.tensor_type
    shape = []
    for index, dim in enumerate(tensor_type.shape.dim):
        shape.append(dim.dim_value if dim.HasField("dim_value") else (dim.dim_param or f"{value.name}_dim_{index}"))
    return {"name": value.name, "dtype": ELEMENT_TYPES.get(tensor_type.elem_type, "float32"), "shape": shape}


def move_model(path: str, destination_directory: str) -> str:
    """Moves the .onnx file and its external data files next to each other into the destination."""
    source_directory = os.path.dirname(path)
    os.makedirs(destination_directory, exist_ok=True)
    for name in os.listdir(source_directory):
        shutil.move(os.path.join(source_directory, name), os.path.join(destination_directory, name))
    return os.path.join(destination_directory, os.path.basename(path))


def spec_for_exported(plan_inputs: List[InputSpec]) -> List[dict]:
    return [spec.to_json() for spec in plan_inputs]
