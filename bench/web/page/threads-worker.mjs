// One onnxruntime-web instance with `threads` WASM threads (bench/web/threads.mjs): times `session.run` of each
// graph (median of `runs` after 20 untimed runs, `gapMs` idle before each timed run) and posts the medians.
import * as ort from '/ort/ort.wasm.min.mjs';

self.onmessage = async ({ data: { threads, graphs, runs, gapMs = 0 } }) => {
  try {
    ort.env.wasm.numThreads = threads;
    ort.env.wasm.wasmPaths = '/ort/';
    ort.env.logLevel = 'error';
    const out = {};
    for (const { name, url, feeds: spec } of graphs) {
      const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
      const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
      const feeds = Object.fromEntries(spec.map(({ input, type, dims }) => {
        const n = dims.reduce((a, b) => a * b, 1);
        const data = type === 'int64' ? new BigInt64Array(n).fill(1n) : new Float32Array(n).fill(0.5);
        return [input, new ort.Tensor(type, data, dims)];
      }));
      for (let k = 0; k < 20; k++) await session.run(feeds);
      const times = [];
      for (let k = 0; k < runs; k++) {
        if (gapMs > 0) await new Promise((ok) => setTimeout(ok, gapMs));
        const t0 = performance.now();
        await session.run(feeds);
        times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      out[name] = times[Math.floor(times.length / 2)];
      await session.release();
    }
    self.postMessage({ ok: true, out, isolated: self.crossOriginIsolated });
  } catch (e) {
    self.postMessage({ ok: false, error: String(e?.stack ?? e) });
  }
};
