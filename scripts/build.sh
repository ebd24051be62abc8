#!/usr/bin/env bash
# Builds the npm package into pkg/ (pack it with `npm pack ./pkg`): one wasm-bindgen `web` build in pkg/web
# serves browsers, bundlers and Node through the export conditions of npm/package.json, so the package ships
# one .wasm. www/pkg gets a copy for the demo page.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
# Feature own-module: built-in pool workers get this very WebAssembly.Module (`wasm_bindgen::module()`, which
# only the web target can name), so no `wasmModule` option is needed.
rm -rf pkg
wasm-pack build --profile wasm-release --target web --mode no-install --out-dir pkg/web --out-name multimodel_perf --no-pack -- --features own-module >&2
node scripts/package.mjs
rm -rf www/pkg && mkdir -p www/pkg && cp -r pkg/web/multimodel_perf.js pkg/web/multimodel_perf_bg.wasm pkg/web/multimodel_perf.d.ts pkg/web/snippets www/pkg/
size() { echo "$(wc -c < "$1") bytes, $(gzip -9 -c "$1" | wc -c) bytes gzip -9"; }
echo "[build] pkg/web/multimodel_perf_bg.wasm (whole package): $(size pkg/web/multimodel_perf_bg.wasm)" >&2
if [ "${MMPERF_SIZE_REPORT:-1}" = "1" ]; then
  out=$(mktemp -d)
  wasm-pack build --profile wasm-release --target web --mode no-install --out-dir "$out" --out-name multimodel_perf --no-pack -- --features predictor-only >/dev/null 2>&1
  echo "[build] predictor alone (--features predictor-only): $(size "$out/multimodel_perf_bg.wasm")" >&2
  rm -rf "$out"
fi
