#!/usr/bin/env bash
# Builds the npm package twice from the same crate: pkg/bundler (for bundlers and `import ... from
# 'multimodel-perf'`) and pkg/web (plain <script type="module">, used by www/ and the node/browser smoke tests).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
# The web build can hand its own WebAssembly.Module to pool workers (feature own-module); the bundler build
# cannot name it (wasm-bindgen refuses), so there `ResourcePool.create({ wasmModule })` provides it.
wasm-pack build --profile wasm-release --target bundler --mode no-install --out-dir pkg/bundler --out-name multimodel_perf --no-pack >&2
wasm-pack build --profile wasm-release --target web --mode no-install --out-dir pkg/web --out-name multimodel_perf --no-pack -- --features own-module >&2
rm -rf www/pkg && mkdir -p www/pkg && cp -r pkg/web/multimodel_perf.js pkg/web/multimodel_perf_bg.wasm pkg/web/multimodel_perf.d.ts pkg/web/snippets www/pkg/
size() { echo "$(wc -c < "$1") bytes, $(gzip -9 -c "$1" | wc -c) bytes gzip -9"; }
echo "[build] pkg/web/multimodel_perf_bg.wasm (whole package): $(size pkg/web/multimodel_perf_bg.wasm)" >&2
if [ "${MMPERF_SIZE_REPORT:-1}" = "1" ]; then
  out=$(mktemp -d)
  wasm-pack build --profile wasm-release --target web --mode no-install --out-dir "$out" --out-name multimodel_perf --no-pack -- --features predictor-only >/dev/null 2>&1
  echo "[build] predictor alone (--features predictor-only): $(size "$out/multimodel_perf_bg.wasm")" >&2
  rm -rf "$out"
fi
