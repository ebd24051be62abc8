// onnxruntime-web in the ResourcePool (`import { ortModel, ortWorkerModel } from 'multimodel-perf/onnxruntime-web'`).
// Each function returns the options of `pool.registerModel`, built so that onnxruntime-web's own rules hold:
//
// - sessions are created and warmed up before `registerModel` (never inside a timed run);
// - in one page, sessions run one at a time and are created one at a time (onnxruntime-web never overlaps the
//   sessions of a page, refuses a WebGPU session creation while another is under way, and overlapping WebGPU
//   runs broke its WASM heap in our tests): every session of every `ortModel` goes through one queue;
// - after a runtime error, the session is released and the next run starts from a new one;
// - models that should overlap on the CPU run in Web Workers (`ortWorkerModel`), each with its own
//   onnxruntime-web instance and thread budget, set up before the pool times anything (`worker.ready`).
//
// The prediction uses the model's own graph: the entry is `describeOnnx(bytes, describe).entry` unless a
// `model` entry is given, and inputs are synthesised from the graph's inputs unless `feeds` is given.
//
// transformers.js runs its models on its own onnxruntime-web: `transformersJsModel` applies the same page rules
// (warm-up before registration, the page's one queue) to a model or pipeline you loaded with it.
import { describeOnnx } from './web/multimodel_perf.js';

let queue = Promise.resolve();

/**
 * Untimed runs before a model is registered: `warmup` runs, or with 'steady' (the default) at least 2 and
 * until a run takes within 10 % of the one before (at most 10): the engine's later tiers (V8 recompiles hot
 * WebAssembly on background threads) and the runtime's first allocations settle before anything is timed.
 */
export async function warmUp(run, warmup = 'steady') {
  if (warmup !== 'steady') {
    if (!Number.isInteger(warmup) || warmup < 0) throw new TypeError(`warmup: a whole number >= 0 or 'steady', not ${warmup}`);
    for (let k = 0; k < warmup; k++) await run();
    return warmup;
  }
  let last = Infinity;
  for (let k = 1; k <= 10; k++) {
    const t0 = performance.now();
    await run();
    const ms = performance.now() - t0;
    if (k >= 2 && Math.abs(ms - last) <= 0.1 * last) return k;
    last = ms;
  }
  return 10;
}

/** Runs `fn` after everything queued before it in this page (creations and runs of every ortModel session). */
function exclusive(fn) {
  const run = queue.then(fn, fn);
  queue = run.then(() => undefined, () => undefined);
  return run;
}

async function bytesOf(onnx) {
  if (typeof onnx === 'string' || onnx instanceof URL) {
    const res = await fetch(onnx);
    if (!res.ok) throw new Error(`cannot fetch ${onnx}: HTTP ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  }
  if (onnx instanceof ArrayBuffer) return new Uint8Array(onnx);
  if (ArrayBuffer.isView(onnx)) return new Uint8Array(onnx.buffer, onnx.byteOffset, onnx.byteLength);
  throw new TypeError('onnx: a URL or the bytes of an .onnx file (Uint8Array or ArrayBuffer)');
}

const TYPED = {
  float32: Float32Array, float64: Float64Array, int32: Int32Array, int64: BigInt64Array, uint8: Uint8Array,
  int8: Int8Array, bool: Uint8Array, int16: Int16Array, uint16: Uint16Array,
};

/**
 * Input tensors for the graph's `inputs` (as `describeOnnx` lists them, with their bound shapes): floats from
 * a fixed-seed generator in [-1, 1), integers 1 (a valid token id and a full attention mask), booleans true.
 * The work of these graphs does not depend on the values.
 */
export function syntheticFeeds(ort, inputs) {
  let s = 12345;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  const feeds = {};
  for (const { name, dtype, shape } of inputs) {
    const Typed = TYPED[dtype];
    if (!Typed) throw new Error(`input '${name}' is ${dtype}: pass feeds for it`);
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Typed(n);
    if (dtype.startsWith('float')) for (let i = 0; i < n; i++) data[i] = next();
    else data.fill(dtype === 'int64' ? 1n : 1);
    feeds[name] = new ort.Tensor(dtype, data, shape);
  }
  return feeds;
}

function provider(backend) {
  if (backend === 'wasm' || backend === 'webgpu') return backend;
  if (backend.startsWith('webnn-')) return { name: 'webnn', deviceType: backend.slice('webnn-'.length) };
  throw new Error(`unknown backend '${backend}'`);
}

/** Output tensors as `{ name: { dims, sum } }`: small to post, and NaN shows in the sum (invalid output). */
export function summary(outputs) {
  const out = {};
  for (const [name, t] of Object.entries(outputs)) {
    let sum = 0;
    for (const x of t.data) sum += Number(x);
    out[name] = { dims: Array.from(t.dims), sum };
  }
  return out;
}

function entryOf(options, description) {
  if (options.model) return options.model;
  return { ...description.entry, model_name: options.id ?? description.entry.model_name };
}

/**
 * A model on this page's onnxruntime-web (`ort`, the module you imported): sessions for `backends` (default
 * `['wasm']`; `'webgpu'` and `'webnn-gpu' | 'webnn-npu' | 'webnn-cpu'` need the matching onnxruntime-web build)
 * created one at a time and warmed up now (`warmup`: a number of runs, or 'steady', the default; see
 * `warmUp`). Backends whose session cannot be created are
 * left out (with the reason in `warnings`); none left is an error.
 */
export async function ortModel(ort, options) {
  const { onnx, backends = ['wasm'], warmup = 'steady', sessionOptions = {}, describe = {}, output } = options ?? {};
  const bytes = await bytesOf(onnx);
  const description = describeOnnx(bytes, { ...describe, name: options.id ?? describe.name });
  const feedsFor = typeof options.feeds === 'function' ? options.feeds
    : options.feeds ? () => options.feeds : (() => { const f = syntheticFeeds(ort, description.inputs); return () => f; })();
  const sessions = new Map();
  const create = async (backend) => {
    const session = await ort.InferenceSession.create(bytes, { ...sessionOptions, executionProviders: [provider(backend)] });
    await warmUp(() => session.run(feedsFor(backend)), warmup);
    sessions.set(backend, session);
    return session;
  };
  const warnings = [...description.warnings];
  const usable = [];
  for (const backend of backends) {
    try {
      await exclusive(() => create(backend));
      usable.push(backend);
    } catch (e) {
      warnings.push(`${backend}: no onnxruntime-web session (${e?.message ?? e})`);
    }
  }
  if (usable.length === 0) throw new Error(`onnxruntime-web could not create a session on any of ${backends.join(', ')}: ${warnings.join('; ')}`);
  const executor = (backend, { signal }) => exclusive(async () => {
    if (signal.aborted) throw new Error('timed out before its turn on the page\'s onnxruntime-web');
    const session = sessions.get(backend) ?? await create(backend);
    try {
      const out = await session.run(feedsFor(backend));
      return summary(output ? { [output]: out[output] } : out);
    } catch (e) {
      sessions.delete(backend);
      try { await session.release(); } catch { /* already broken */ }
      throw new Error(`onnxruntime-web failed on ${backend}: ${e?.message ?? e} (the next run starts from a new session)`);
    }
  });
  return { id: options.id, model: entryOf(options, description), backends: usable, executor, onnx: description, warnings };
}

/**
 * A model in its own Web Worker with its own onnxruntime-web (`ort`: the URL of an onnxruntime-web ES module
 * build, e.g. `ort.wasm.min.mjs`) and `threads` WASM threads (default 1; more than one needs a cross-origin
 * isolated page). The worker creates its session and warms it up before the pool uses it. With `perRun`, each
 * run gets the threads the pool's plan gives it (1 to `threads`, default every core): the worker holds one
 * onnxruntime-web per thread count, so `auto` can choose between one model at a time on every core and
 * several at once on a share each.
 */
export async function ortWorkerModel(options) {
  const { onnx, ort, perRun = false, warmup = 'steady', sessionOptions = {}, describe = {}, wasmPaths } = options ?? {};
  const threads = options?.threads ?? (perRun ? globalThis.navigator?.hardwareConcurrency ?? 1 : 1);
  if (typeof onnx !== 'string' && !(onnx instanceof URL)) throw new TypeError('onnx: the URL of the .onnx file (the worker fetches it)');
  if (typeof ort !== 'string' && !(ort instanceof URL)) throw new TypeError('ort: the URL of an onnxruntime-web ES module build (e.g. ort.wasm.min.mjs)');
  const base = globalThis.location?.href;
  const abs = (u) => new URL(u, base).href;
  const description = describeOnnx(await bytesOf(abs(onnx)), { ...describe, name: options.id ?? describe.name });
  const config = {
    onnx: abs(onnx), ort: abs(ort), threads, perRun, warmup, sessionOptions, inputs: description.inputs,
    wasmPaths: wasmPaths === undefined ? undefined : abs(wasmPaths),
  };
  const script = new URL(options.workerUrl ?? new URL('./onnxruntime-web-worker.js', import.meta.url), base);
  script.searchParams.set('config', JSON.stringify(config));
  return {
    id: options.id,
    // A per-run worker's threads are the plan's: the entry leaves them open.
    model: perRun ? entryOf(options, description) : { ...entryOf(options, description), threads },
    backends: ['wasm'],
    worker: { url: script.href, threads, ready: true, perRun },
    onnx: description,
    warnings: [...description.warnings],
  };
}

/**
 * A model loaded with transformers.js (`await AutoModel.from_pretrained(...)`, or a pipeline: anything called
 * as `await model(inputs)`) in the pool: warmed up now (`warmup`, as for `ortModel`), then every run through this
 * page's queue (transformers.js runs its sessions on its own onnxruntime-web in this page). The prediction
 * comes from `describeOnnx` of `onnx` (the URL or bytes of the .onnx file transformers.js loads, e.g.
 * `${env.localModelPath}${name}/onnx/model.onnx`) unless a `model` entry is given; `inputs` (or a function of
 * the backend returning them) are what the model is called with, or, with transformers.js's `Tensor`
 * class as `Tensor`, made at the described shapes. `backend` is the device it was loaded on ('wasm' or
 * 'webgpu', default 'wasm').
 */
export async function transformersJsModel(model, options) {
  const { onnx, backend = 'wasm', warmup = 'steady', describe = {}, Tensor } = options ?? {};
  if (typeof model !== 'function') throw new TypeError('model: a transformers.js model or pipeline (called as await model(inputs))');
  const description = onnx === undefined ? null : describeOnnx(await bytesOf(onnx), { ...describe, name: options.id ?? describe.name });
  if (!description && !options.model) throw new TypeError('onnx (the model\'s .onnx file, to describe it) or model (an entry to predict it by) is needed');
  let inputsFor;
  if (typeof options.inputs === 'function') inputsFor = options.inputs;
  else if (options.inputs) inputsFor = () => options.inputs;
  else if (Tensor && description) { const made = syntheticFeeds({ Tensor }, description.inputs); inputsFor = () => made; }
  else throw new TypeError('inputs (what the model is called with), or Tensor (transformers.js\'s Tensor class) with onnx to make them');
  await exclusive(() => warmUp(() => model(inputsFor(backend)), warmup));
  const executor = (b, { signal }) => exclusive(async () => {
    if (signal.aborted) throw new Error('timed out before its turn on the page\'s runtime');
    try {
      const out = await model(inputsFor(b));
      return summary(Object.fromEntries(Object.entries(out).filter(([, t]) => t && t.data && t.dims)));
    } catch (e) {
      throw new Error(`transformers.js failed on ${b}: ${e?.message ?? e}`);
    }
  });
  const entry = options.model ?? { ...description.entry, model_name: options.id ?? description.entry.model_name };
  return { id: options.id, model: entry, backends: [backend], executor, onnx: description, warnings: [...(description?.warnings ?? [])] };
}
