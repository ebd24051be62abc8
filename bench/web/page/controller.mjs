// The page side of the benchmark, driven by run.mjs through `window.bench`: dedicated workers (one ORT instance
// each, see worker.mjs) started together at a shared time, and the page's own ORT instance whose sessions run
// either awaited one by one or all at once with Promise.all.
import { clock, configure, load } from './session.mjs';

const workers = new Map();
const pageSessions = new Map();
let pageOrt = null;
let nextId = 0;

function call(name, msg) {
  const w = workers.get(name);
  if (!w) return Promise.reject(new Error(`no worker '${name}'`));
  const id = nextId++;
  return new Promise((ok, fail) => {
    w.pending.set(id, { ok, fail });
    w.worker.postMessage({ ...msg, id });
  });
}

function spawn(name) {
  const worker = new Worker('/worker.mjs', { type: 'module', name });
  const entry = { worker, pending: new Map() };
  worker.onmessage = ({ data }) => {
    const p = entry.pending.get(data.id);
    entry.pending.delete(data.id);
    if (data.ok) p.ok({ ...data, receivedAt: clock() });
    else p.fail(new Error(`worker ${name}: ${data.error}`));
  };
  worker.onerror = (e) => {
    for (const p of entry.pending.values()) p.fail(new Error(`worker ${name}: ${e.message ?? 'failed to start'}`));
    entry.pending.clear();
  };
  workers.set(name, entry);
}

window.bench = {
  env: () => ({ isolated: self.crossOriginIsolated, cores: navigator.hardwareConcurrency, userAgent: navigator.userAgent }),

  async startWorker(name, threads) {
    spawn(name);
    const r = await call(name, { op: 'init', threads });
    if (threads > 1 && !r.isolated) throw new Error(`worker ${name} is not cross-origin isolated`);
    return r;
  },

  loadWorker: (name, key, url, model, warmup) => call(name, { op: 'load', key, url, model, warmup }),

  /** Clock agreement with a worker: over `k` pings, the smallest page->worker and worker->page delays (ms) on
   * the shared clock. Both are >= 0 and small when the contexts' clocks agree; a negative one is a skew. */
  async clockCheck(name, k = 20) {
    let forward = Infinity;
    let back = Infinity;
    for (let i = 0; i < k; i++) {
      const r = await call(name, { op: 'ping', sentAt: clock() });
      forward = Math.min(forward, r.receivedAt - r.sentAt);
      back = Math.min(back, r.receivedAt - r.repliedAt);
    }
    return { forward, back };
  },

  /** Starts every member {worker, key} at one shared time `leadMs` ahead; each reports its own start and end. */
  async runGroup(members, leadMs = 15) {
    const startAt = clock() + leadMs;
    const runs = await Promise.all(members.map((m) => call(m.worker, { op: 'run', key: m.key, startAt })));
    return { startAt, runs: runs.map((r) => ({ start: r.start, end: r.end })) };
  },

  async pageInit(threads) {
    pageOrt = await import('/ort/ort.wasm.min.mjs');
    configure(pageOrt, threads);
    return { version: pageOrt.env.versions?.web };
  },

  async pageLoad(key, url, model, warmup) {
    const s = await load(pageOrt, url, model, warmup);
    pageSessions.set(key, s);
    return { loadMs: s.loadMs, warmMs: s.warmMs, inputs: s.session.inputNames };
  },

  /** The page's sessions `keys`: mode 'all' calls every run() at once and awaits Promise.all; mode 'seq' awaits
   * each before calling the next. Returns the common start and each run's call and finish on the shared clock. */
  async pageRun(keys, mode) {
    const list = keys.map((k) => pageSessions.get(k));
    const t0 = clock();
    if (mode === 'all') {
      const runs = await Promise.all(list.map((s) => {
        const start = clock();
        return s.session.run(s.input).then(() => ({ start, end: clock() }));
      }));
      return { startAt: t0, runs };
    }
    const runs = [];
    for (const s of list) {
      const start = clock();
      await s.session.run(s.input);
      runs.push({ start, end: clock() });
    }
    return { startAt: t0, runs };
  },

  closeAll() {
    for (const w of workers.values()) w.worker.terminate();
    workers.clear();
    pageSessions.clear();
  },
};
window.benchReady = true;
