// The plans of a scenario (as bench/real/plans.py, plus the two in-page plans). A plan is `groups` (lists of
// model indices, run one after another; the models of a group start together) and `threads` (one count per
// model), and `host`: where it runs. On N = navigator.hardwareConcurrency cores:
//
//   alone                one model at t = 1..N threads in its own worker, nothing else running
//   sequential           one worker per model (N threads each), the workers run one after another
//   sequential-one-page  every session in the page's one ORT instance (N threads), awaited one by one
//   parallel-one-page    the same sessions, every run() called at once and awaited with Promise.all
//   parallel-split       one worker per model, all started together, threads split: 1 each when models >= N,
//                        else proportional to each model's single-thread time (largest remainder, >= 1 each)
//   parallel             one worker per model, all started together, N threads each (the naive default)

export const PLAN_NAMES = ['sequential', 'sequential-one-page', 'parallel-one-page', 'parallel-split', 'parallel'];

/** Threads per model summing to `cores` (1 each when models >= cores), proportional to `weights`. */
export function splitThreads(weights, cores) {
  const n = weights.length;
  if (n >= cores) return weights.map(() => 1);
  const total = weights.reduce((a, b) => a + b, 0) || 1;
  const spare = cores - n;
  const shares = weights.map((w) => (w / total) * spare);
  const extra = shares.map(Math.floor);
  const order = [...shares.keys()].sort((a, b) => shares[b] - extra[b] - (shares[a] - extra[a]));
  for (const i of order.slice(0, spare - extra.reduce((a, b) => a + b, 0))) extra[i] += 1;
  return extra.map((e) => 1 + e);
}

/** The plans of a scenario whose models take `weights` ms alone on one thread, filtered to `wanted`. */
export function scenarioPlans(weights, cores, wanted = PLAN_NAMES) {
  const idx = weights.map((_, i) => i);
  const all = idx.map(() => cores);
  const plans = [
    { plan: 'sequential', host: 'workers', groups: idx.map((i) => [i]), threads: all },
    { plan: 'sequential-one-page', host: 'page', mode: 'seq', groups: idx.map((i) => [i]), threads: all },
    { plan: 'parallel-one-page', host: 'page', mode: 'all', groups: [idx], threads: all },
    { plan: 'parallel-split', host: 'workers', groups: [idx], threads: splitThreads(weights, cores) },
    { plan: 'parallel', host: 'workers', groups: [idx], threads: all },
  ];
  return plans.filter((p) => wanted.includes(p.plan));
}

/** Each model alone at 1..cores threads. */
export function alonePlans(n, cores) {
  const out = [];
  for (let i = 0; i < n; i++) {
    for (let t = 1; t <= cores; t++) {
      out.push({ plan: 'alone', host: 'workers', alone: i, groups: [[i]], threads: [...Array(n)].map((_, j) => (j === i ? t : 0)) });
    }
  }
  return out;
}

export function label(p) {
  if (p.plan === 'alone') return `alone m${p.alone} t${p.threads[p.alone]}`;
  return `${p.plan} [${p.groups.map((g) => g.join(',')).join('|')}] t${p.threads.join(',')}`;
}

/** Pass 0 in order, pass 1 reversed, later passes shuffled with a seeded generator. */
export function passOrder(items, p) {
  if (p === 0) return [...items];
  if (p === 1) return [...items].reverse();
  const out = [...items];
  let s = p;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
