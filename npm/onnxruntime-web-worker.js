// The module worker of `ortWorkerModel` (multimodel-perf/onnxruntime-web): its own onnxruntime-web instance
// with the thread budget it was given, one session created and warmed up before it posts
// `{ type: "mmperf-ready" }`, then one `session.run` per `mmperf-run` message of the pool. Its configuration
// comes in the script URL (`?config=` JSON: onnx and ort URLs, threads, warmup, session options, the graph's
// inputs with their shapes). With `perRun`, it starts one worker of its own per thread count 1..threads (an
// onnxruntime-web instance's thread count is fixed when it starts) and hands each run to the one with the
// threads the run says.
import { summary, syntheticFeeds, warmUp } from './onnxruntime-web.js';

const config = JSON.parse(new URL(self.location.href).searchParams.get('config') ?? 'null');
let session;
let feeds;

async function setup() {
  if (!config) throw new Error('no ?config= in the worker URL (create it with ortWorkerModel)');
  const ort = await import(config.ort);
  if (config.threads > 1 && !self.crossOriginIsolated) {
    throw new Error(`${config.threads} WASM threads need a cross-origin isolated page (COOP/COEP headers)`);
  }
  ort.env.wasm.numThreads = config.threads;
  ort.env.wasm.proxy = false;
  if (config.wasmPaths) ort.env.wasm.wasmPaths = config.wasmPaths;
  const res = await fetch(config.onnx);
  if (!res.ok) throw new Error(`cannot fetch ${config.onnx}: HTTP ${res.status}`);
  session = await ort.InferenceSession.create(new Uint8Array(await res.arrayBuffer()), {
    ...config.sessionOptions, executionProviders: ['wasm'],
  });
  feeds = syntheticFeeds(ort, config.inputs);
  await warmUp(() => session.run(feeds), config.warmup);
}

const failure = (e) => ({ name: e?.name ?? 'Error', message: String(e?.message ?? e) });

/** Starts the worker for `threads` threads and resolves once it is ready. */
function start(threads) {
  const url = new URL(self.location.href);
  url.searchParams.set('config', JSON.stringify({ ...config, perRun: false, threads }));
  const w = new Worker(url, { type: 'module' });
  return new Promise((resolve, reject) => {
    w.onmessage = ({ data }) => {
      if (data?.type !== 'mmperf-ready') return;
      if (data.ok === false) reject(Object.assign(new Error(data.error.message), { name: data.error.name }));
      else {
        w.onmessage = ({ data: reply }) => self.postMessage(reply);
        resolve(w);
      }
    };
    w.onerror = (e) => { e.preventDefault(); reject(new Error(e.message || `the ${threads}-thread worker failed`)); };
  });
}

const byThreads = new Map();
const ready = config?.perRun
  ? (async () => { for (let t = 1; t <= config.threads; t++) byThreads.set(t, await start(t)); })()
  : setup();
ready.then(() => self.postMessage({ type: 'mmperf-ready' }), (e) => self.postMessage({ type: 'mmperf-ready', ok: false, error: failure(e) }));

self.onmessage = async ({ data }) => {
  if (!data || data.type !== 'mmperf-run') return;
  try {
    await ready;
    if (config.perRun) {
      const t = Math.min(Math.max(1, Math.round(data.threads ?? config.threads)), config.threads);
      byThreads.get(t).postMessage(data);
      return;
    }
    const t0 = performance.now();
    const out = await session.run(feeds);
    const runMs = performance.now() - t0;
    self.postMessage({ runId: data.runId, ok: true, outputs: { threads: config.threads, runMs, ...summary(out) } });
  } catch (e) {
    self.postMessage({ runId: data.runId, ok: false, error: failure(e) });
  }
};
