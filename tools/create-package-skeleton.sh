#!/usr/bin/env bash
# Writes the boilerplate files of a workspace package (used once per package; kept for new adapters).
# usage: tools/create-package-skeleton.sh <dir-name> <npm-name> <nx-tag> "<description>"
set -euo pipefail
dir="packages/$1"; name="$2"; tag="$3"; description="$4"
mkdir -p "$dir/src"
[ -f "$dir/tsconfig.json" ] || cat > "$dir/tsconfig.json" <<JSON
{
  "extends": "../../tsconfig.base.json",
  "compilerOptions": { "noEmit": true },
  "include": ["src/**/*.ts", "tsup.config.ts"]
}
JSON
[ -f "$dir/tsup.config.ts" ] || cat > "$dir/tsup.config.ts" <<'TS'
import { createPackageBuildConfig } from '../../tsup.base';

export default createPackageBuildConfig();
TS
[ -f "$dir/tsconfig.build.json" ] || cat > "$dir/tsconfig.build.json" <<JSON
{
  "extends": "../../tsconfig.base.json",
  "compilerOptions": { "paths": {}, "types": ["node"], "noEmit": false },
  "include": ["src/**/*.ts"],
  "exclude": ["src/**/*.test.ts"]
}
JSON
[ -f "$dir/jest.config.cjs" ] || cat > "$dir/jest.config.cjs" <<'JS'
/** @type {import('jest').Config} */
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: require('./package.json').name,
  rootDir: __dirname,
};
JS
echo "created $dir ($name, $tag): $description"
