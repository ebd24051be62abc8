// A Web Worker with its own onnxruntime-web instance (WASM threads fixed at `init`) and any number of sessions.
// Requests {id, op, ...} get {id, ok, ...} or {id, ok: false, error}. `run` waits for the shared start time
// (sleeps until 3 ms before it, then spins) and reports its own start and finish on the shared clock.
import * as ort from '/ort/ort.wasm.min.mjs';
import { clock, configure, load } from './session.mjs';

const sessions = new Map();
const SPIN_MS = 3;

async function until(t) {
  const wait = t - clock() - SPIN_MS;
  if (wait > 0) await new Promise((ok) => setTimeout(ok, wait));
  while (clock() < t) { /* spin: start within a few microseconds of t */ }
}

const ops = {
  init({ threads }) {
    configure(ort, threads);
    return { isolated: self.crossOriginIsolated, version: ort.env.versions?.web ?? ort.env.versions?.common };
  },
  async load({ key, url, model, warmup }) {
    const s = await load(ort, url, model, warmup);
    sessions.set(key, s);
    return { loadMs: s.loadMs, warmMs: s.warmMs, inputs: s.session.inputNames };
  },
  async run({ key, startAt }) {
    const s = sessions.get(key);
    if (!s) throw new Error(`no session '${key}' in this worker`);
    await until(startAt);
    const start = clock();
    await s.session.run(s.input);
    return { start, end: clock() };
  },
  ping({ sentAt }) {
    return { receivedAt: clock(), sentAt };
  },
};

self.onmessage = async ({ data }) => {
  try {
    self.postMessage({ id: data.id, ok: true, ...(await ops[data.op](data)), repliedAt: clock() });
  } catch (e) {
    self.postMessage({ id: data.id, ok: false, error: String(e?.stack ?? e) });
  }
};
