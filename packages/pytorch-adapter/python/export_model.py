"""Entry point of @gpux/pytorch-adapter's export: reads an ExportRequest (JSON on stdin, see
converter-core's adapter.ts), writes the ONNX files and the reference cases, and returns the
ExportResult fields through gpux_bridge."""

from __future__ import annotations

import gc
import os
import platform
import sys
from typing import Any, Dict, List

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from gpux_bridge import BridgeError, run  # noqa: E402


def _tool_versions() -> Dict[str, str]:
    versions = {"python": platform.python_version()}
    for module in ("torch", "transformers", "onnx", "onnxscript", "safetensors", "numpy"):
        try:
            versions[module] = __import__(module).__version__
        except Exception:  # noqa: BLE001 - a missing optional tool is left out
            pass
    return versions


def _flatten(value) -> List[Any]:
    if isinstance(value, (tuple, list)):
        return [item for element in value for item in _flatten(element)]
    return [value]


def _write_cases(plan, request, fixed: Dict[str, int], case_count: int) -> List[Dict[str, Any]]:
    import numpy
    import torch

    from io_detection import make_inputs

    directory = os.path.join(request["workDirectory"], "reference")
    os.makedirs(directory, exist_ok=True)
    runner = plan.facts.get("runner") or plan.module
    cases = []
    for index, size_set in enumerate(plan.case_sizes[:case_count]):
        size_set.sizes.update(fixed)
        inputs = make_inputs(plan.inputs, size_set, plan.facts, seed=1000 + index)
        with torch.no_grad():
            outputs = _flatten(runner(*inputs))
        label = ", ".join(f"{name}={value}" for name, value in sorted(size_set.sizes.items()))
        case = {"modelName": plan.name, "label": label, "inputs": {}, "outputs": {}}
        for kind, names, tensors in (("inputs", [s.name for s in plan.inputs], inputs), ("outputs", plan.output_names, outputs)):
            for name, tensor in zip(names, tensors):
                # C order: a transposed view (CLIP's logits_per_image) would be saved Fortran-ordered.
                array = numpy.ascontiguousarray(tensor.detach().cpu().numpy())
                path = os.path.join(directory, f"{plan.name}.case{index}.{kind}.{name}.npy")
                numpy.save(path, array)
                case[kind][name] = {"path": path, "dtype": str(array.dtype).replace("bool", "bool"), "shape": list(array.shape)}
        cases.append(case)
    return cases


def _plans(request, bridge, notes):
    source_format = request["detection"]["format"]
    if source_format == "hf-transformers":
        import hf_models

        directory = request["source"]["path"]
        trust = bool(request.get("trustRemoteCode"))
        config, _ = hf_models.load_config(directory, trust)
        task = hf_models.choose_task(config, request.get("task"))
        bridge.progress("export", 5, f"loading {task} model")
        model = hf_models.load_model(directory, config, task, trust)
        hf_models.check_head(model, config, task, request.get("task"))
        facts = hf_models.hf_model_facts(config, directory)
        architecture = type(model).__name__
        return hf_models.build_plans(model, task, facts), task, architecture, hf_models.model_config_for_yaml(facts)
    import other_sources

    task = request.get("task") or "custom"
    if source_format == "torchscript":
        return other_sources.torchscript_plans(request), task, None, {}
    if source_format == "torch-export":
        return other_sources.exported_program_plans(request), task, None, {}
    if source_format == "python-module":
        plans = other_sources.python_module_plans(request)
        return plans, task, type(plans[0].module.model).__name__, {}
    raise BridgeError("UNSUPPORTED_FORMAT", f"The PyTorch adapter cannot export the source format {source_format!r}.")


def handle(request: Dict[str, Any], bridge) -> Dict[str, Any]:
    from preflight import preflight

    # Checks that need no torch come first: importing torch and transformers takes seconds.
    preflight(request)
    bridge.progress("export", 2, "loading torch")
    import torch

    from io_detection import make_inputs
    from onnx_export import EXTERNAL_DATA_THRESHOLD, finalize_onnx, export_plan, move_model

    torch.manual_seed(0)
    options = request.get("adapterOptions") or {}
    opset = int(request.get("opset") or 18)
    choice = str(options.get("exporter") or "auto")
    if choice not in ("auto", "dynamo", "torchscript"):
        raise BridgeError("EXPORT_FAILED", f"adapterOptions.exporter must be 'auto', 'dynamo' or 'torchscript', got {choice!r}.")
    case_count = int(request.get("referenceCaseCount", 2))
    threshold = int(options.get("externalDataThresholdBytes") or EXTERNAL_DATA_THRESHOLD)
    notes: List[str] = []
    plans, task, architecture, model_config = _plans(request, bridge, notes)
    files, cases, exporters, written = [], [], [], []
    for number, plan in enumerate(plans):
        bridge.progress("export", 10 + 80 * number / len(plans), f"exporting {plan.name}")
        notes.extend(plan.notes)
        sample = make_inputs(plan.inputs, plan.export_sizes, plan.facts, seed=7)
        scratch = os.path.join(request["workDirectory"], f"onnx-{plan.name}")
        path, exporter, external = export_plan(plan, sample, scratch, opset, choice, notes, threshold)
        exporters.append(exporter)
        inputs, outputs, fixed = finalize_onnx(path, plan, external)
        for name, value in fixed.items():
            notes.append(f"{plan.name}: the exporter fixed the dim '{name}' to {value}; inputs must use that size.")
        if case_count > 0:
            bridge.progress("export", 10 + 80 * (number + 0.7) / len(plans), f"reference outputs for {plan.name}")
            # --static-shapes: the cases use exactly the sizes the graph will be fixed to; a dim the
            # exporter itself fixed keeps the exporter's size.
            static = {str(name): int(size) for name, size in (request.get("staticShapes") or {}).items()}
            cases += _write_cases(plan, request, {**static, **fixed}, case_count)
        written.append((plan.name, path, external, inputs, outputs))
    # The torch model is no longer needed: free it before weights are streamed into single files.
    del plans, sample
    gc.collect()
    for name, path, external, inputs, outputs in written:
        data_files = sorted(entry for entry in os.listdir(os.path.dirname(path)) if entry != os.path.basename(path))
        if data_files and not external:
            # Below the threshold the weights belong in the .onnx file: the adapter's TypeScript side
            # streams them in with converter-core's saveOnnxModel, writing `singleFilePath`.
            single = os.path.join(request["outputDirectory"], os.path.basename(path))
            files.append({"name": name, "path": path, "singleFilePath": single, "inputs": inputs, "outputs": outputs})
            continue
        if data_files:
            notes.append(f"{name}: the weights are stored as ONNX external data in {', '.join(data_files)} "
                         "beside the .onnx file; keep the files together.")
        final_path = move_model(path, request["outputDirectory"])
        files.append({"name": name, "path": final_path, "inputs": inputs, "outputs": outputs})
    return {
        "files": files,
        "task": task,
        "architecture": architecture,
        "opset": opset,
        "exporter": " + ".join(sorted(set(exporters))),
        "notes": notes,
        "toolVersions": _tool_versions(),
        "referenceCases": cases,
        "modelConfig": model_config,
    }


if __name__ == "__main__":
    run(handle)
