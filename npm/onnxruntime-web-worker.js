// The module worker of `ortWorkerModel` (multimodel-perf/onnxruntime-web): its own onnxruntime-web instance
// with the thread budget it was given, one session created and warmed up before it posts
// `{ type: "mmperf-ready" }`, then one `session.run` per `mmperf-run` message of the pool. Its configuration
// comes in the script URL (`?config=` JSON: onnx and ort URLs, threads, warmup, session options, the graph's
// inputs with their shapes).
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
const ready = setup();
ready.then(() => self.postMessage({ type: 'mmperf-ready' }), (e) => self.postMessage({ type: 'mmperf-ready', ok: false, error: failure(e) }));

self.onmessage = async ({ data }) => {
  if (!data || data.type !== 'mmperf-run') return;
  try {
    await ready;
    self.postMessage({ runId: data.runId, ok: true, outputs: summary(await session.run(feeds)) });
  } catch (e) {
    self.postMessage({ runId: data.runId, ok: false, error: failure(e) });
  }
};
