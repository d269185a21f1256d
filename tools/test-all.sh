#!/usr/bin/env bash
# The project's one test command (README "Tests"; .ci/run runs exactly this).
# It installs what is missing (npm packages, the managed Python environments), then builds, lints,
# type-checks and tests every package, and ends with one summary line of all jest results.
set -euo pipefail
cd "$(dirname "$0")/.."
export NX_NO_CLOUD=true NX_DAEMON=false NX_TUI=false
# onnxruntime-node's postinstall would download CUDA libraries from outside the npm registry; its
# script/install reads this variable (an `.npmrc` line does the same, but npm 11 warns about it).
export ONNXRUNTIME_NODE_INSTALL=skip

echo "==> npm packages"
lock_hash=$(sha256sum package-lock.json | cut -c1-16)
if [ ! -f node_modules/.gpux-lock-hash ] || [ "$(cat node_modules/.gpux-lock-hash)" != "$lock_hash" ]; then
  npm ci --no-audit --no-fund
  echo "$lock_hash" > node_modules/.gpux-lock-hash
else
  echo "node_modules matches package-lock.json"
fi

echo "==> redis-server (the Redis queue tests start their own, on a free port of 127.0.0.1)"
command -v redis-server >/dev/null || (apt-get update && apt-get install -y redis-server)
redis-server --version

echo "==> build"
npx nx run-many -t build --output-style=static
# Link the workspace bin as the quick start does (npm skips it at `npm ci`, before dist/ exists):
# the README's `npx --no-install gpux-convert ...` examples run in readme-shell-examples.test.ts.
[ -e node_modules/.bin/gpux-convert ] || npm rebuild @gpux/cli --no-audit --no-fund >/dev/null

echo "==> Python environments (reused when their requirements are unchanged)"
node packages/cli/dist/bin.cjs setup all
# The GPUX runtime (PyPI gpux 0.1.1): the real-client tests run `gpux build` / `gpux run` from it.
node packages/cli/dist/bin.cjs setup gpux

echo "==> lint and typecheck"
npx nx run-many -t lint typecheck --output-style=static

echo "==> tests"
results_dir=$(mktemp -d)
export GPUX_JEST_RESULTS_DIR="$results_dir"
status=0
npx nx run-many -t test --output-style=static --skip-nx-cache || status=$?
node tools/summarize-jest-results.cjs "$results_dir"
rm -rf "$results_dir"
exit "$status"
