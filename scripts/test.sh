#!/usr/bin/env bash
# `npm test`: every test, after installing what is missing. Lints first (rustfmt, clippy, rustdoc, warnings
# denied; the crate's [lints] in Cargo.toml); native unit, property, CLI and published-row tests;
# the wasm tests in node and in headless Chromium; then the built package from JavaScript (types, node and
# browser smoke tests, native-versus-wasm equality); last the packed tarball as users install it
# (tests/consumers/run.mjs).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"

# Headless Chromium under load sometimes never starts a test page ("Failed to detect test as having been
# run", the renderer timing out before any test ran: seen once in session 24's CI checks on the 2-vCPU VM).
# Such a run, and only such a run (no test reported), is tried once more; a test that ran and failed is not.
chrome_tests() {
  local log
  log=$(mktemp)
  if "$@" 2>&1 | tee "$log"; then
    rm -f "$log"
    return 0
  fi
  if grep -q 'Failed to detect test as having been run' "$log" && ! grep -q '^test .*\.\.\. ' "$log"; then
    rm -f "$log"
    echo "== headless Chromium ran no test (the page never started): trying once more"
    "$@"
    return
  fi
  rm -f "$log"
  return 1
}

echo "== lint: cargo fmt --check, clippy native and wasm32 (warnings denied), cargo doc (warnings denied)"
cargo fmt --all -- --check
cargo clippy --locked --all-targets -- -D warnings
cargo clippy --locked --target wasm32-unknown-unknown --lib --tests --features own-module -- -D warnings
RUSTDOCFLAGS="-D warnings" cargo doc --locked --no-deps --lib

echo "== native: cargo test"
cargo test --locked

echo "== wasm: wasm-pack test --node"
wasm-pack test --node --mode no-install -- --locked --test web

echo "== wasm: wasm-pack test --headless --chrome"
CHROMEDRIVER="${CHROMEDRIVER:-$(command -v chromedriver)}" WASM_BINDGEN_TEST_TIMEOUT=120 WASM_BINDGEN_USE_BROWSER=1 \
  chrome_tests wasm-pack test --headless --chrome --mode no-install -- --locked --test web

echo "== wasm: capability detection in headless Chromium (page and dedicated worker)"
CHROMEDRIVER="${CHROMEDRIVER:-$(command -v chromedriver)}" WASM_BINDGEN_TEST_TIMEOUT=120 \
  chrome_tests wasm-pack test --headless --chrome --mode no-install -- --locked --test web_detect --test web_detect_worker

echo "== wasm: the resource pool in headless Chromium (WebGPU on SwiftShader, WASM, workers, failures, shared tensors, calibration)"
CHROMEDRIVER="${CHROMEDRIVER:-$(command -v chromedriver)}" WASM_BINDGEN_TEST_TIMEOUT=300 \
  chrome_tests wasm-pack test --headless --chrome --mode no-install -- --locked --features own-module --test web_pool --test web_calibration

echo "== wasm: capability detection in headless Chromium started without WebGPU"
CHROMEDRIVER="${CHROMEDRIVER:-$(command -v chromedriver)}" WASM_BINDGEN_TEST_TIMEOUT=120 MMPERF_EXPECT_WEBGPU_ADAPTER=0 \
  WASM_BINDGEN_TEST_WEBDRIVER_JSON=tests/data/webdriver-no-webgpu.json \
  chrome_tests wasm-pack test --headless --chrome --mode no-install -- --locked --test web_detect

echo "== package build"
bash scripts/build.sh

echo "== JavaScript: types, node and browser smoke tests, native vs wasm, onnxruntime-web in the pool"
# The small ONNX models (seeded weights) that tests/js/ort.test.mjs runs on onnxruntime-web.
cargo run --locked --quiet --example onnx_models -- target/onnx-models
node --test tests/js/

echo "== npm package: npm pack, the tarball installed into scratch Vite 8 and 7 (dev and build), webpack, esbuild, plain-page, Node and TypeScript projects running the package README's examples"
node tests/consumers/run.mjs
