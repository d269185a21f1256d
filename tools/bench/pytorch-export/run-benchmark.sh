#!/usr/bin/env bash
# PyTorch export benchmark: export time and the Python child's peak RSS for a GPT-2-medium-sized
# model (random weights, ~355M parameters, ~1.4 GB float32) beside the model's size on disk.
# Not a test. Numbers go into README.md by hand.
#
# usage: tools/bench/pytorch-export/run-benchmark.sh [WORK_DIR] [TASK|-] [ADAPTER_OPTIONS_JSON]
#   TASK defaults to the one detected from config.json (text-generation-with-past for GPT2LMHeadModel);
#   ADAPTER_OPTIONS_JSON e.g. '{"externalDataThresholdBytes":1}' to write external data.
# env:   GPUX_PYTHON  an interpreter with packages/pytorch-adapter/python/requirements.txt installed
#                     (default: the managed environment, built on first use by converter-core)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
work="${1:-${TMPDIR:-/tmp}/gpux-pytorch-export-bench}"
task="${2:--}"
options="${3:-}"
mkdir -p "$work"

# Inside the repo so that @gpux/* and onnxruntime-node resolve from the root node_modules.
child="$repo/node_modules/.cache/gpux-bench/pytorch-export-child.cjs"
(cd "$repo" && node "$here/bundle.mjs" "$child")

# The fixture model is built with the adapter's own Python environment.
python="${GPUX_PYTHON:-$(node "$child" --python)}"
"$python" "$here/make_gpt2_medium.py" "$work/gpt2-medium"

rm -rf "$work/out" "$work/scratch"
mkdir -p "$work/out" "$work/scratch"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
node "$child" "$work/gpt2-medium" "$work/out" "$work/scratch" "$task" ${options:+"$options"}
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
