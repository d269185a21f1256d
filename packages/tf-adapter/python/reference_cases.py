"""Seeded validation inputs and TensorFlow's outputs for them, saved as .npy files."""

from __future__ import annotations

import os
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

NUMPY_DTYPES = {
    "float32": np.float32, "float16": np.float16, "float64": np.float64, "int8": np.int8, "uint8": np.uint8,
    "int16": np.int16, "uint16": np.uint16, "int32": np.int32, "uint32": np.uint32, "int64": np.int64,
    "uint64": np.uint64, "bool": np.bool_,
}
BATCH_SIZES = [1, 2, 3, 4]
OTHER_DYNAMIC_SIZES = [16, 24, 32, 40]


def make_inputs(specs: Sequence[Dict[str, Any]], case_index: int, seed: int, integer_high: int,
                integer_highs: Optional[Dict[str, int]] = None,
                static_sizes: Optional[Dict[str, int]] = None) -> Dict[str, np.ndarray]:
    """Seeded feeds; integers are drawn below `integer_highs[name]` when given, else below `integer_high`.
    A symbolic dim named in `static_sizes` (the request's staticShapes) takes that size in every case."""
    rng = np.random.default_rng(seed + case_index)
    feeds = {}
    for spec in specs:
        shape = []
        for axis, dim in enumerate(spec["shape"]):
            if isinstance(dim, int):
                shape.append(dim)
            elif static_sizes and dim in static_sizes:
                shape.append(int(static_sizes[dim]))
            elif axis == 0:
                shape.append(BATCH_SIZES[case_index % len(BATCH_SIZES)])
            else:
                shape.append(OTHER_DYNAMIC_SIZES[case_index % len(OTHER_DYNAMIC_SIZES)])
        dtype = spec["dtype"]
        if dtype == "bool":
            value = rng.random(shape) < 0.5
        elif dtype.startswith(("int", "uint")):
            high = (integer_highs or {}).get(spec["name"], integer_high)
            value = rng.integers(0, max(high, 1), size=shape).astype(NUMPY_DTYPES[dtype])
        elif dtype in NUMPY_DTYPES:
            value = rng.standard_normal(shape).astype(NUMPY_DTYPES[dtype])
        else:
            raise ValueError(f"Cannot generate validation input of dtype {dtype} for {spec['name']}")
        feeds[spec["name"]] = value
    return feeds


def _label(feeds: Dict[str, np.ndarray], fixed_batch: bool, case_index: int) -> str:
    first = next(iter(feeds.values()))
    parts = [f"batch_size={first.shape[0]}" if first.ndim else "scalar"]
    if fixed_batch:
        parts.append(f"seed offset {case_index}")
    parts.extend(f"{name}={list(value.shape)}" for name, value in feeds.items())
    return ", ".join(parts)


def _tensor_file(path: str, value: np.ndarray) -> Dict[str, Any]:
    np.save(path, value)
    dtype = "bool" if value.dtype == np.bool_ else str(value.dtype)
    return {"path": path, "dtype": dtype, "shape": [int(d) for d in value.shape]}


def write_reference_cases(source, model_name: str, inputs: Sequence[Dict[str, Any]], outputs: Sequence[Dict[str, Any]],
                          count: int, work_directory: str, seed: int, bridge,
                          static_sizes: Optional[Dict[str, int]] = None) -> List[Dict[str, Any]]:
    cases = []
    fixed_batch = all(spec["shape"] and isinstance(spec["shape"][0], int) for spec in inputs)
    output_names = [spec["name"] for spec in outputs]
    for case_index in range(count):
        bridge.progress("export", 90 + 10 * case_index / max(count, 1), f"reference case {case_index + 1}/{count}")
        feeds = source.adjust_reference_feeds(
            make_inputs(inputs, case_index, seed, source.integer_input_high, source.integer_input_highs, static_sizes), case_index)
        results = source.run(feeds, output_names)
        directory = os.path.join(work_directory, f"reference-{model_name}-{case_index}")
        os.makedirs(directory, exist_ok=True)
        case = {"modelName": model_name, "label": _label(feeds, fixed_batch, case_index), "inputs": {}, "outputs": {}}
        for index, (name, value) in enumerate(feeds.items()):
            case["inputs"][name] = _tensor_file(os.path.join(directory, f"input-{index}.npy"), value)
        for index, name in enumerate(output_names):
            case["outputs"][name] = _tensor_file(os.path.join(directory, f"output-{index}.npy"), np.asarray(results[name]))
        cases.append(case)
    return cases
