// One onnxruntime-web session and its input feeds, shared by the page and the workers. The graphs are the ones
// bench/real exported (random weights, fp32): text encoders take `input_ids` and `attention_mask` (int64,
// batch x sequence), vision models take `pixels` (float32, batch x 3 x size x size). Inputs are made here from a
// fixed-seed generator; the compute of these graphs does not depend on the values.

/** Absolute time in ms on a clock every context of the page shares (its own origin plus its own now()). */
export const clock = () => performance.timeOrigin + performance.now();

/** Sets the ORT instance of this context to `threads` WASM threads; must run before the first session. */
export function configure(ort, threads) {
  if (threads > 1 && !self.crossOriginIsolated) {
    throw new Error(`${threads} WASM threads need a cross-origin isolated context, and this one is not`);
  }
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.wasmPaths = '/ort/';
  ort.env.wasm.proxy = false;
  ort.env.logLevel = 'error';
}

function lcg(seed) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

function feeds(ort, session, model) {
  const b = model.batch_size;
  const next = lcg(12345);
  if (session.inputNames.includes('pixels')) {
    const i = model.image_size;
    const data = Float32Array.from({ length: b * 3 * i * i }, () => 4 * next() - 2);
    return { pixels: new ort.Tensor('float32', data, [b, 3, i, i]) };
  }
  const s = model.sequence_length;
  const ids = BigInt64Array.from({ length: b * s }, () => BigInt(1000 + Math.floor(next() * 29000)));
  const out = { input_ids: new ort.Tensor('int64', ids, [b, s]) };
  if (session.inputNames.includes('attention_mask')) {
    out.attention_mask = new ort.Tensor('int64', new BigInt64Array(b * s).fill(1n), [b, s]);
  }
  return out;
}

/** Loads `url` into a session (all graph optimisations, sequential executor) and runs it `warmup` times. */
export async function load(ort, url, model, warmup) {
  const t0 = performance.now();
  const bytes = await (await fetch(url)).arrayBuffer();
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: ['wasm'], graphOptimizationLevel: 'all', executionMode: 'sequential',
  });
  const input = feeds(ort, session, model);
  const t1 = performance.now();
  for (let k = 0; k < warmup; k++) await session.run(input);
  const t2 = performance.now();
  return { session, input, loadMs: t1 - t0, warmMs: (t2 - t1) / Math.max(warmup, 1) };
}
