#!/usr/bin/env bash
# tf-adapter large-model benchmark (issue 6): converts two SavedModels over 2 GiB (four dense layers,
# 2.42 GB; one 2.46 GB embedding table, a single tensor over 2 GiB) end to end with the CLI
# (tf2onnx export with the weights kept out of tf2onnx, validation against TensorFlow in
# onnxruntime-node at two batch sizes) and records wall time and peak RSS. Not a test: numbers go
# into README.md.
#
# usage: tools/bench/tf-large-model/run-benchmark.sh [WORK_DIR]     (needs ~15 GB free disk)
# Needs the built CLI (npx nx run-many -t build) and the managed tensorflow environment
# (gpux-convert setup tensorflow).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
work="${1:-${TMPDIR:-/tmp}/gpux-tf-large-bench}"
mkdir -p "$work"
source "$here/../managed-python.sh"
python="$(managed_python tensorflow)"
[[ -n "$python" ]] || { echo "No tensorflow environment: run 'gpux-convert setup tensorflow'." >&2; exit 1; }
"$python" "$here/make_large_models.py" "$work/models"
for model in mlp_2_4gb embedding_2_5gb; do
  rm -rf "$work/out-$model"
  /usr/bin/time -v -o "$work/time-$model.txt" node "$repo/packages/cli/dist/bin.cjs" convert "$work/models/$model" \
    --output "$work/out-$model" --cache-dir "$work/cache" --force --json > "$work/events-$model.jsonl"
  peak_kib=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time-$model.txt")
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$work/time-$model.txt")
  sizes=$(cd "$work/out-$model" && find . -name 'model.onnx*' -printf '%p %s bytes; ')
  validation=$(tail -n 1 "$work/events-$model.jsonl" | node -e '
    let text = ""; process.stdin.on("data", (chunk) => (text += chunk)).on("end", () => {
      const result = JSON.parse(text); const found = [];
      const walk = (value) => { if (value && typeof value === "object") { if ("maxAbsDiff" in value) found.push(value.maxAbsDiff); Object.values(value).forEach(walk); } };
      walk(result); process.stdout.write(`max abs diff ${Math.max(...found)} over ${found.length} comparisons`);
    });')
  echo "{\"model\":\"$model\",\"wall\":\"$wall\",\"peakRssMiB\":$((peak_kib / 1024)),\"files\":\"$sizes\",\"validation\":\"$validation\"}"
done
