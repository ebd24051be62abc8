#!/usr/bin/env bash
# Builds the npm package twice from the same crate: pkg/bundler (for bundlers and `import ... from
# 'multimodel-perf'`) and pkg/web (plain <script type="module">, used by www/ and the node/browser smoke tests).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
for target in bundler web; do
  wasm-pack build --profile wasm-release --target "$target" --mode no-install --out-dir "pkg/$target" --out-name multimodel_perf --no-pack >&2
done
rm -rf www/pkg && mkdir -p www/pkg && cp pkg/web/multimodel_perf.js pkg/web/multimodel_perf_bg.wasm pkg/web/multimodel_perf.d.ts www/pkg/
gz=$(gzip -9 -c pkg/web/multimodel_perf_bg.wasm | wc -c)
raw=$(wc -c < pkg/web/multimodel_perf_bg.wasm)
echo "[build] pkg/web/multimodel_perf_bg.wasm: $raw bytes, $gz bytes gzip -9" >&2
