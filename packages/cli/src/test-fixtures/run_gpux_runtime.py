"""Runs a converted folder with the GPUX runtime's own Python API, the way `gpux run` does (parse
gpux.yml with GPUXConfigParser, then GPUXRuntime(model, **config.runtime)), but with inputs cast
to the dtypes gpux.yml declares. `gpux run --input/--file` cannot do that for float32 inputs:
GPUX 0.1.1 turns JSON lists into numpy arrays without a dtype, so floats arrive as float64 and
onnxruntime rejects them.

Usage: python run_gpux_runtime.py <folder> <inputs.json> <outputs.json>
"""

import json
import sys

import numpy
from gpux.config.parser import GPUXConfigParser
from gpux.core.runtime import GPUXRuntime


def main(folder, inputs_path, outputs_path):
    parser = GPUXConfigParser()
    config = parser.parse_file(f"{folder}/gpux.yml")
    with open(inputs_path, encoding="utf-8") as handle:
        values = json.load(handle)
    feeds = {spec.name: numpy.asarray(values[spec.name], dtype=spec.type) for spec in config.inputs}
    runtime = GPUXRuntime(model_path=parser.get_model_path(folder), **config.runtime.model_dump())
    try:
        outputs = runtime.infer(feeds)
    finally:
        runtime.cleanup()
    with open(outputs_path, "w", encoding="utf-8") as handle:
        json.dump({name: numpy.asarray(value).tolist() for name, value in outputs.items()}, handle)


if __name__ == "__main__":
    main(*sys.argv[1:4])
