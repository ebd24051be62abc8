// The package's entry in Node.js (the "node" export condition): the browsers' glue and the same .wasm, with a
// default `init()` that reads the .wasm from disk, because Node's fetch() cannot load file: URLs. Everything
// else is the glue's own exports. No top-level await, so `require('multimodel-perf')` works where Node
// supports require() of ES modules (20.19+, 22.12+).
import { readFile } from 'node:fs/promises';
import initWasm from './web/multimodel_perf.js';

export * from './web/multimodel_perf.js';

let ready;

/** Loads the WebAssembly module: from `input` when given (bytes, a `WebAssembly.Module`, ...), else from disk. */
export default function init(input) {
  if (input !== undefined) return initWasm(input);
  ready ??= readFile(new URL('./web/multimodel_perf_bg.wasm', import.meta.url))
    .then((bytes) => initWasm({ module_or_path: bytes }))
    .catch((e) => { ready = undefined; throw e; });
  return ready;
}
