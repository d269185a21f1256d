#!/usr/bin/env bash
# O2 fusion benchmark (issue 9): tiny random-weight BERT (4 layers, hidden 256, 4 heads), GPT-2
# (no past) and ViT exported like @gpux/pytorch-adapter does; our O2 fusions against onnxruntime's
# Python transformers optimizer (opt_level=2) on the same input model; onnxruntime-node CPU latency
# at batch 8 and 1, sequence 128, interleaved runs, medians. Not a test: numbers go into README.md.
#
# usage: tools/bench/fusions/run-benchmark.sh [WORK_DIR]
# env:   EXPORT_PYTHON  Python with torch + transformers + onnxscript (default: the managed pytorch
#                       environment, as `gpux-convert doctor` reports it; needs the built CLI)
#        ORT_PYTHON     Python with onnxruntime + onnx (default: a venv created on first use under
#                       ~/.cache/gpux/bench/fusions-ort-venv from requirements.txt)
#        ROUNDS         timed rounds per variant (default 20)
#        BLOCK          timed runs per variant per round, back to back after one untimed run; the
#                       round's time is their median (default 5; see latency.mjs)
#        FUSE_BUNDLE  an already bundled fuse-model.cjs (skips esbuild: for a machine without the
#                       workspace's node_modules)
#        THREADS        intra-op thread settings to measure, space-separated; 'default' leaves
#                       onnxruntime-node's own choice (one per core) (default: "default 1")
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
work="${1:-${TMPDIR:-/tmp}/gpux-fusions-bench}"
rounds="${ROUNDS:-20}"
block="${BLOCK:-5}"
threads_list="${THREADS:-default 1}"
mkdir -p "$work/models" "$work/out"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/gpux"

source "$here/../managed-python.sh"
export_python="${EXPORT_PYTHON:-$(managed_python pytorch)}"
[[ -n "$export_python" ]] || { echo "No pytorch environment: run 'gpux-convert setup pytorch' or set EXPORT_PYTHON." >&2; exit 1; }

ort_python="${ORT_PYTHON:-}"
if [[ -z "$ort_python" ]]; then
  venv="$cache/bench/fusions-ort-venv"
  if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q -r "$here/requirements.txt"
  fi
  ort_python="$venv/bin/python"
fi

fixtures="$repo/packages/optimizer/src/fusions/test-fixtures/export_transformer_fixtures.py"
if [[ ! -f "$work/models/bert-dynamo-sdpa.onnx" ]]; then
  (cd "$work" && TMPDIR="$work" "$export_python" "$fixtures" "$work/models" --models bert,gpt2,vit --exporters dynamo,torchscript \
    --attention sdpa --layers 4 --hidden 256 --heads 4 >/dev/null)
fi

child="${FUSE_BUNDLE:-$repo/node_modules/.cache/gpux-bench/fuse-model.cjs}"
[[ -n "${FUSE_BUNDLE:-}" ]] || (cd "$repo" && npx esbuild "$here/fuse-model.ts" --bundle --platform=node --format=cjs --log-level=warning \
  --external:onnxruntime-node --tsconfig=tsconfig.base.json --outfile="$child")

results="$work/results.jsonl"
: > "$results"
for model in bert-dynamo-sdpa bert-torchscript-sdpa gpt2-dynamo-sdpa gpt2-torchscript-sdpa vit-dynamo-sdpa; do
  input="$work/models/$model.onnx"
  type="${model%%-*}"
  node "$child" "$input" "$work/out/$model-gpux-o2.onnx" | sed "s/^{/{\"model\":\"$model\",/" | tee -a "$results"
  "$ort_python" "$here/ort_optimize.py" "$input" "$work/out/$model-ort-o2.onnx" "$type" 2>/dev/null | sed "s/^{/{\"model\":\"$model\",/" | tee -a "$results"
  [[ "$type" == vit ]] && continue
  for threads in $threads_list; do
    thread_flag=()
    [[ "$threads" != default ]] && thread_flag=(--threads "$threads")
    for batch in 8 1; do
      (cd "$repo" && node "$here/latency.mjs" --batch "$batch" --sequence 128 --rounds "$rounds" --block "$block" --warmup 3 "${thread_flag[@]}" \
        unfused="$input" gpux-o2="$work/out/$model-gpux-o2.onnx" ort-python-o2="$work/out/$model-ort-o2.onnx") \
        | sed "s/^{/{\"model\":\"$model\",\"threads\":\"$threads\",/" | tee -a "$results"
    done
  done
done
echo "results: $results"
