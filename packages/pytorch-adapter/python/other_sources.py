"""Sources other than Hugging Face directories: TorchScript files, torch.export archives (.pt2) and
`module:function` specs that build an nn.Module in Python."""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any, Dict, List, Optional

import torch

from bridge_errors import BridgeError, invalid_model_file_error, looks_like_corrupt_weights
from export_plan import ExportPlan, TaskModule
from io_detection import DTYPE_NAMES, InputSpec, SizeSet, parse_input_spec
from preflight import check_module_allowed

_DEFAULT_SIZES = {"batch_size": 2, "sequence_length": 8, "height": 64, "width": 64}


def _require_spec(request: Dict[str, Any], what: str) -> List[InputSpec]:
    value = request.get("inputSpec")
    if not value:
        raise BridgeError(
            "UNSUPPORTED_ARCHITECTURE",
            f"{what} carries no description of its inputs. Pass inputSpec: a list of {{name, dtype, shape}} where "
            "symbolic dims are strings, e.g. [{\"name\": \"pixel_values\", \"dtype\": \"float32\", "
            "\"shape\": [\"batch_size\", 3, 224, 224]}].",
            {"format": request.get("detection", {}).get("format")},
        )
    try:
        return parse_input_spec(value)
    except (ValueError, KeyError, TypeError) as error:
        raise BridgeError("UNSUPPORTED_ARCHITECTURE", f"inputSpec is invalid: {error}") from error


def _size_sets(specs: List[InputSpec], options: Dict[str, Any]):
    names = {dim for spec in specs for dim in spec.dims if isinstance(dim, str)}
    overrides = options.get("dimSizes") or {}
    def sizes(offset: int, batch: int) -> Dict[str, int]:
        result = {}
        for name in names:
            base = int(overrides.get(name, _DEFAULT_SIZES.get(name, 8)))
            result[name] = batch if name == "batch_size" else base + offset
        return result
    export = SizeSet("export", sizes(0, 2))
    cases = [SizeSet("", sizes(0, 1)), SizeSet("", sizes(int(options.get("secondCaseOffset", 8)), 3))]
    return export, cases


def _output_names(count: int, options: Dict[str, Any]) -> List[str]:
    names = options.get("outputNames")
    if isinstance(names, list) and len(names) == count:
        return [str(name) for name in names]
    return ["output"] if count == 1 else [f"output_{index}" for index in range(count)]


def _count_outputs(module, sample) -> int:
    with torch.no_grad():
        result = module(*sample)
    return len(result) if isinstance(result, (tuple, list)) else 1


def _positional(model):
    def call(inner, inputs):
        result = inner(*inputs.values())
        return list(result) if isinstance(result, (tuple, list)) else [result]
    return call


def torchscript_plans(request: Dict[str, Any]) -> List[ExportPlan]:
    path = request["source"]["path"]
    specs = _require_spec(request, f"The TorchScript file {os.path.basename(path)}")
    try:
        scripted = torch.jit.load(path, map_location="cpu").eval()
    except Exception as error:  # noqa: BLE001 - classified as a corrupt file or re-raised
        if looks_like_corrupt_weights(error) or isinstance(error, RuntimeError):
            raise invalid_model_file_error(path, error) from error
        raise
    # A ScriptModule is exported as it is: tracing a wrapper around it is not possible.
    return [_module_plan(scripted, specs, request, exporters=["torchscript"], wrap=False)]


def _module_plan(model, specs: List[InputSpec], request, exporters: List[str], wrap: bool = True) -> ExportPlan:
    from io_detection import make_inputs

    options = request.get("adapterOptions") or {}
    export, cases = _size_sets(specs, options)
    module = TaskModule(model, [spec.name for spec in specs], _positional(model)) if wrap else model
    count = _count_outputs(module, make_inputs(specs, export, {}, seed=0))
    return ExportPlan("model", module, specs, _output_names(count, options), export, cases, {}, exporters=exporters)


def exported_program_plans(request: Dict[str, Any]) -> List[ExportPlan]:
    path = request["source"]["path"]
    try:
        program = torch.export.load(path)
    except Exception as error:  # noqa: BLE001
        if looks_like_corrupt_weights(error) or isinstance(error, RuntimeError):
            raise invalid_model_file_error(path, error) from error
        raise
    options = request.get("adapterOptions") or {}
    if request.get("inputSpec"):
        specs = _require_spec(request, path)
    else:
        specs = _specs_from_program(program)
    export, cases = _size_sets(specs, options)
    runner = program.module()
    count = len(program.graph_signature.user_outputs)
    plan = ExportPlan("model", program, specs, _output_names(count, options), export, cases, {},
                      kind="exported-program", exporters=["dynamo"])
    plan.facts["runner"] = runner
    return [plan]


def _specs_from_program(program) -> List[InputSpec]:
    user_inputs = list(program.graph_signature.user_inputs)
    symbol_names: Dict[str, str] = {}
    specs = []
    for node in program.graph.nodes:
        if node.op != "placeholder" or node.name not in user_inputs:
            continue
        value = node.meta.get("val")
        dims: List[Any] = []
        for index, dim in enumerate(value.shape):
            if isinstance(dim, int):
                dims.append(dim)
            else:
                symbol = str(dim)
                default = "batch_size" if index == 0 and "batch_size" not in symbol_names.values() else f"{node.name}_dim_{index}"
                dims.append(symbol_names.setdefault(symbol, default))
        specs.append(InputSpec(node.name, DTYPE_NAMES.get(value.dtype, "float32"), dims))
    return specs


def python_module_plans(request: Dict[str, Any]) -> List[ExportPlan]:
    options = request.get("adapterOptions") or {}
    spec_text = check_module_allowed(request)
    module_name, _, function_name = spec_text.partition(":")
    if not module_name or not function_name:
        raise BridgeError("UNSUPPORTED_FORMAT", f"Python module spec {spec_text!r} must look like 'package.module:function'.")
    search_path: Optional[str] = options.get("modulePath") or (
        request["source"]["path"] if os.path.isdir(request["source"]["path"]) else None)
    if search_path and search_path not in sys.path:
        sys.path.insert(0, search_path)
    factory = getattr(importlib.import_module(module_name), function_name)
    model = factory(**(options.get("moduleArguments") or {}))
    if not isinstance(model, torch.nn.Module):
        raise BridgeError("UNSUPPORTED_FORMAT", f"{spec_text} returned {type(model).__name__}, not a torch.nn.Module.")
    specs = _require_spec(request, f"The module built by {spec_text}")
    return [_module_plan(model.eval(), specs, request, exporters=["dynamo", "torchscript"])]
