// The demo page: what this browser can do, a workload editor kept in the URL, every strategy predicted side
// by side with the recommendation and the backend of each model, a timeline per strategy, and a run of the
// models' built-in workloads in this page, measured against the prediction and refitted from measurements.
// Every number comes from the wasm package (www/pkg, built by `npm run build`).
import init, {
  MultiModelPredictor, ResourcePool, detectCapabilities, detectedProfile, listHardware, listModels, routeModels, version,
} from './pkg/multimodel_perf.js';

const $ = (id) => document.getElementById(id);
const el = (tag, props = {}, ...kids) => {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...kids);
  return e;
};
const fmt = (x, digits = 1) => Number(x).toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const ms = (x) => (x >= 100 ? fmt(x, 0) : x >= 10 ? fmt(x, 1) : fmt(x, 2));
const SVG = 'http://www.w3.org/2000/svg';
const svg = (tag, attrs = {}) => {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
};

const DEFAULT = {
  models: [
    { model_name: 'all-MiniLM-L6-v2', batch_size: 8 },
    { model_name: 'vit-base-patch16-224', batch_size: 1 },
    { model_name: 'whisper-tiny', batch_size: 1 },
  ],
  hardware: 'browser',
  runtime: '',
  maxMemory: null,
  goal: 'latency',
};

let state = structuredClone(DEFAULT);
let caps = null;
let catalog = [];
let predictor = null;
let pool = null;
let lastRec = null;
let current = 'parallel';
let hardwareList = [];
const runs = [];

// ---------- URL state ----------
function load() {
  const s = new URLSearchParams(location.search).get('s');
  if (!s) return;
  try {
    const parsed = JSON.parse(s);
    if (Array.isArray(parsed.models)) state = { ...DEFAULT, ...parsed };
  } catch {
    showError('The link holds a workload that is not valid JSON; the default workload is shown instead.');
  }
}
function save() {
  const url = new URL(location.href);
  url.searchParams.set('s', JSON.stringify(state));
  history.replaceState(null, '', url);
}

function showError(text) {
  $('error').textContent = text;
  $('error').hidden = !text;
}

// ---------- capabilities ----------
function fact(list, term, value, cls = '') {
  list.append(el('dt', { textContent: term }), el('dd', { textContent: value, className: cls }));
}
function renderCaps() {
  const list = $('caps-list');
  list.replaceChildren();
  const b = caps.browser;
  fact(list, 'Browser', `${b.name} ${b.version} on ${b.os}`);
  const gpu = caps.webgpu;
  const adapter = gpu.highPerformance?.adapter ?? gpu.lowPower?.adapter ?? null;
  if (!gpu.available) fact(list, 'WebGPU', `not available: ${gpu.reason}`, 'bad');
  else if (!adapter) fact(list, 'WebGPU', `no adapter: ${gpu.highPerformance?.error?.message ?? 'none returned'}`, 'bad');
  else {
    fact(list, 'WebGPU adapter', `${adapter.vendor || 'unknown vendor'} ${adapter.architecture || ''} ${adapter.description || adapter.device || ''}`.trim()
      + (adapter.isFallbackAdapter ? ' (fallback: software, CPU speed)' : ''), adapter.isFallbackAdapter ? 'warn' : 'good');
    fact(list, 'WebGPU features', adapter.features.join(', ') || 'none');
    fact(list, 'Largest storage binding', `${fmt(adapter.limits.maxStorageBufferBindingSize / 2 ** 20, 0)} MiB`);
  }
  const nn = caps.webnn;
  if (!nn.available) fact(list, 'WebNN', `not available: ${nn.reason}`, 'bad');
  else {
    const ok = nn.contexts.filter((c) => c.ok).map((c) => c.kind);
    const why = nn.contexts.find((c) => !c.ok)?.error;
    fact(list, 'WebNN', ok.length ? `contexts: ${ok.join(', ')}` : `present but unusable: ${why ? `${why.name}: ${why.message}` : 'no context'}`, ok.length ? 'good' : 'warn');
  }
  const w = caps.wasm;
  fact(list, 'WebAssembly', `SIMD ${w.simd ? 'yes' : 'no'}, threads ${w.threads ? 'yes' : `no${w.crossOriginIsolated ? '' : ' (page not cross-origin isolated)'}`}`);
  fact(list, 'Cores / memory', `${caps.hardwareConcurrency ?? '?'} logical cores${caps.deviceMemoryGb ? `, about ${caps.deviceMemoryGb} GB` : ''}`);
  for (const { label, profile } of browserMemory()) {
    fact(list, `Memory for ${label} models`, `${fmt(profile.memoryCapacityMb, 0)} MB — ${memorySource(profile)}`);
  }
  const p = detectedProfile(caps);
  $('caps-meaning').textContent = `Predictions for "this browser" use ${p.id}: ${p.reasons.join(' ')}`;
  $('caps-status').textContent = 'Detected.';
}

// ---------- memory capacity and where it comes from ----------
// The detected WebGPU profile and the WASM backend's profile are two different quantities: WebGPU on host
// memory gets a share of navigator.deviceMemory (or at least the adapter's maxBufferSize), WASM is also
// capped by wasm32's 4 GiB address space. Each figure is shown with the library's own reason for it.
function wasmProfile() {
  return detectedProfile({ ...caps, webgpu: { available: false, reason: 'profile of the WASM backend' } });
}
function browserMemory() {
  const out = [];
  if (caps.webgpu.available && (caps.webgpu.highPerformance?.adapter ?? caps.webgpu.lowPower?.adapter)) out.push({ label: 'WebGPU', profile: detectedProfile(caps) });
  if (caps.wasm.webassembly !== false) out.push({ label: 'WASM', profile: wasmProfile() });
  return out;
}
const DEVICE_WORDS = { 'browser:wasm': "this browser's WASM backend", 'browser:webgpu': "this browser's WebGPU backend" };
const deviceWords = (id) => DEVICE_WORDS[id] ?? (id.startsWith('detected:') ? "this browser's detected profile" : id.startsWith('browser:') ? `this browser's ${id.slice(8)} backend` : 'catalog device');
/** The sentence that set a profile's memory capacity: a detection reason, or the catalog datasheet. */
function memorySource(profile) {
  const figure = `${Math.round(profile.memoryCapacityMb)} MB`;
  const why = (profile.reasons ?? []).filter((r) => r.includes(figure) && !r.includes('maxStorageBufferBindingSize')).at(-1);
  return why ?? `${profile.name}; ${profile.sources?.datasheet ?? 'catalog profile'}`;
}
/** The profile of a device a prediction names: this browser's backends, the detected profile or a catalog device. */
function deviceProfile(id) {
  if (id === 'browser:wasm') return wasmProfile();
  if (id === 'browser:webgpu' || id.startsWith('detected:')) return detectedProfile(caps);
  return hardwareList.find((d) => d.id === id) ?? null;
}
/** Each memory pool of a prediction with the device whose capacity it has and the source of that figure. */
function poolSources(p) {
  const dedicated = new Set(p.memoryPools.map((x) => x.name));
  return p.memoryPools.map((pool) => {
    const ids = pool.name === 'host' ? p.devices.filter((d) => !dedicated.has(d)) : [pool.name];
    const profiles = ids.map((id) => [id, deviceProfile(id)]);
    const [id, profile] = profiles.find(([, pr]) => pr && Math.round(pr.memoryCapacityMb) === Math.round(pool.capacityMb)) ?? profiles[0] ?? [pool.name, null];
    return { pool, device: id, source: profile ? memorySource(profile) : `the profile of ${id}` };
  });
}

// ---------- editor ----------
function inputFor(entry, type) {
  if (type === 'vision' || type === 'multimodal') return ['image_size', 'px', 224];
  if (type === 'audio') return ['audio_seconds', 's', 10];
  return ['sequence_length', 'tokens', 128];
}
function typeOf(entry) {
  return entry.model_type ?? catalog.find((m) => m.name.toLowerCase() === String(entry.model_name).toLowerCase())?.modelType ?? 'text_embedding';
}
function renderModels() {
  const body = $('models').tBodies[0];
  body.replaceChildren(...state.models.map((m, i) => {
    const [key, unit, def] = inputFor(m, typeOf(m));
    const batch = el('input', { type: 'number', min: 1, max: 65536, step: 1, value: m.batch_size ?? 1, ariaLabel: `batch size of ${m.model_name}` });
    batch.addEventListener('change', () => { m.batch_size = Math.max(1, Math.round(Number(batch.value) || 1)); update(); });
    const prec = el('select', { ariaLabel: `precision of ${m.model_name}` }, ...['fp32', 'tf32', 'fp16', 'bf16', 'int8', 'int4'].map((p) => new Option(p, p)));
    prec.value = m.precision ?? 'fp32';
    prec.addEventListener('change', () => { m.precision = prec.value; update(); });
    const size = el('input', { type: 'number', min: 1, step: key === 'audio_seconds' ? 0.5 : 1, value: m[key] ?? def, ariaLabel: `${key.replace('_', ' ')} of ${m.model_name}` });
    size.addEventListener('change', () => { m[key] = Number(size.value) || def; update(); });
    const remove = el('button', { type: 'button', className: 'secondary', textContent: '✕', ariaLabel: `remove ${m.model_name}` });
    remove.addEventListener('click', () => { state.models.splice(i, 1); renderModels(); update(); });
    return el('tr', {},
      el('th', { scope: 'row', textContent: m.model_name + (m.params ? ` (custom, ${m.params} M)` : '') }),
      el('td', {}, batch), el('td', {}, prec), el('td', {}, size, el('span', { className: 'unit', textContent: ` ${unit}` })), el('td', {}, remove));
  }));
}
function addModel(entry) {
  state.models.push(entry);
  renderModels();
  update();
}

// ---------- predictions ----------
function workload() {
  const w = { models: state.models };
  if (state.maxMemory) w.constraints = { max_memory: Number(state.maxMemory) };
  return w;
}
function renderPredictions(rec) {
  const rows = ['parallel', 'sequential', 'batched'].map((label) => {
    const alt = rec.alternatives.find((a) => a.label === label) ?? rec.alternatives.find((a) => a.label.startsWith(label));
    return [label, alt];
  }).filter(([, a]) => a);
  $('strategies').tBodies[0].replaceChildren(...rows.map(([label, alt]) => {
    const m = alt.totalMetrics;
    const tr = el('tr', { className: alt.label === rec.recommendedStrategy || rec.plan.strategy === label && rec.recommendedStrategy.startsWith(label) ? 'chosen' : '' },
      el('th', { scope: 'row', textContent: label }),
      ...[ms(m.combinedLatency), ms(m.meanLatency), fmt(m.combinedThroughput, 1), fmt(m.combinedMemory, 0),
        m.feasible ? 'yes' : `no (+${fmt(m.overflowMb, 0)} MB)`].map((v) => el('td', { textContent: v })));
    tr.dataset.strategy = label;
    tr.dataset.makespan = m.combinedLatency;
    return tr;
  }));
  $('recommendation').textContent = `Recommended for ${rec.optimizationGoal}: ${rec.recommendedStrategy}. ${rec.reason}`;
  $('warnings').replaceChildren(...rec.prediction.warnings.map((w) => el('li', { textContent: w })));
}
function renderRouting() {
  const body = $('routing').tBodies[0];
  try {
    const decisions = routeModels(state.models, caps);
    body.replaceChildren(...decisions.map((d) => el('tr', {},
      el('th', { scope: 'row', textContent: d.model }), el('td', { textContent: d.backend }),
      el('td', { textContent: ms(d.latencyMs) }), el('td', { textContent: d.reason }))));
  } catch (e) {
    body.replaceChildren(el('tr', {}, el('td', { colSpan: 4, textContent: e.message })));
  }
}

// ---------- timeline ----------
function renderTabs() {
  const tabs = $('timeline-tabs');
  tabs.replaceChildren(...['parallel', 'sequential', 'batched'].map((s) => {
    const b = el('button', { type: 'button', role: 'tab', textContent: s, id: `tab-${s}`, className: 'tab' });
    b.setAttribute('aria-selected', String(s === current));
    b.tabIndex = s === current ? 0 : -1;
    b.addEventListener('click', () => { current = s; renderTabs(); renderTimeline(); });
    b.addEventListener('keydown', (e) => {
      const order = ['parallel', 'sequential', 'batched'];
      const k = order.indexOf(s) + (e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0);
      if (k !== order.indexOf(s)) { current = order[(k + 3) % 3]; renderTabs(); renderTimeline(); $(`tab-${current}`).focus(); }
    });
    return b;
  }));
  $('timeline').setAttribute('aria-labelledby', `tab-${current}`);
}
function renderTimeline() {
  let p;
  try {
    p = predictor.predictMultiModelPerformance(workload(), hardware(), current);
  } catch (e) { showError(e.message); return; }
  const bars = p.executionSchedule.timeline;
  const total = p.executionSchedule.totalExecutionTime || 1;
  // memoryTimeline sums every pool, so it is drawn against the pools' capacities together.
  const pools = poolSources(p);
  const cap = Math.max(pools.reduce((sum, x) => sum + x.pool.capacityMb, 0), 1);
  const steps = memorySteps(p);
  const peak = Math.max(...steps.map((x) => x.memory), 1);
  const W = 760, label = 170, right = 14, rowH = 26, memH = 90;
  const H = bars.length * rowH + memH + 44;
  const plotW = W - label - right;
  const x = (t) => label + (t / total) * plotW;
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'group', 'aria-label': `${current} schedule, makespan ${ms(total)} ms` });
  root.dataset.makespan = total;
  bars.forEach((b, i) => {
    const y = 8 + i * rowH;
    const t = svg('text', { x: 0, y: y + 15, class: 'label' });
    t.textContent = b.model.length > 24 ? `${b.model.slice(0, 23)}…` : b.model;
    const r = svg('rect', { x: x(b.startTime), y, width: Math.max(2, x(b.endTime) - x(b.startTime)), height: rowH - 8, class: `bar g${b.group % 6}`, tabindex: 0 });
    const text = `${b.model} (group ${b.group + 1}, ${b.device}): ${ms(b.startTime)} → ${ms(b.endTime)} ms, ${ms(b.duration)} ms`;
    r.setAttribute('aria-label', text);
    r.dataset.start = b.startTime; r.dataset.end = b.endTime;
    const title = svg('title'); title.textContent = text; r.append(title);
    const show = () => { $('tooltip').textContent = text; };
    r.addEventListener('mouseenter', show); r.addEventListener('focus', show);
    root.append(t, r);
  });
  // Memory over time against the capacity.
  const top = 8 + bars.length * rowH + 10;
  const scale = Math.max(cap, peak);
  const yOf = (mb) => top + memH - (mb / scale) * memH;
  root.append(svg('rect', { x: label, y: top, width: plotW, height: memH, class: 'mem-bg' }));
  const capLine = svg('line', { x1: label, x2: label + plotW, y1: yOf(cap), y2: yOf(cap), class: 'cap' });
  const capText = svg('text', { x: label + plotW, y: yOf(cap) - 3, 'text-anchor': 'end', class: 'small' });
  capText.textContent = `capacity ${fmt(cap, 0)} MB (${pools.map((x) => x.device).join(' + ')})`;
  // One point per event; memory holds its value until the next event, hence the steps (H, then V).
  const d = steps.map((s, i) => `${i ? 'H' : 'M'}${x(s.time).toFixed(1)}${i ? 'V' : ','}${yOf(s.memory).toFixed(1)}`).join('');
  const path = svg('path', { d, class: 'mem' });
  const memLabel = svg('text', { x: 0, y: top + memH / 2, class: 'label' });
  memLabel.textContent = `memory (peak ${fmt(peak, 0)} MB)`;
  const axis = svg('text', { x: W - right, y: H - 6, 'text-anchor': 'end', class: 'small' });
  axis.textContent = `${ms(total)} ms`;
  const zero = svg('text', { x: label, y: H - 6, class: 'small' });
  zero.textContent = '0';
  root.append(capLine, capText, path, memLabel, axis, zero);
  $('timeline').replaceChildren(root);
  $('capacity').textContent = pools.length === 1
    ? `Capacity ${fmt(cap, 0)} MB — ${pools[0].device} (${deviceWords(pools[0].device)}): ${pools[0].source}`
    : `Memory is summed over ${pools.length} pools, capacity ${fmt(cap, 0)} MB in all: `
      + pools.map((x) => `${x.pool.name} ${fmt(x.pool.capacityMb, 0)} MB — ${x.device} (${deviceWords(x.device)}): ${x.source}`).join('; ');
  refreshScrollCues();
}

/** Memory in use after each event of the schedule (every start and every end of a model), in time order. */
function memorySteps(p) {
  // memoryTimeline holds a point where the total changes: from `time` on, `memory` MB are in use.
  const curve = p.executionSchedule.memoryTimeline;
  const at = (t) => curve.filter((s) => s.time <= t).at(-1)?.memory ?? 0;
  return p.executionSchedule.timeline.flatMap((b) => [b.startTime, b.endTime]).sort((a, b) => a - b).map((time) => ({ time, memory: at(time) }));
}

// ---------- sideways scrolling ----------
// Wide tables and the timeline scroll sideways in their own box at a readable scale; whenever the content is
// wider than the box, its frame shows "scroll sideways →" and a fade on each side that has more to see.
const scrollFrames = [];
function scrollFrame(box) {
  const frame = el('div', { className: 'scroll-frame' });
  const cue = el('p', { className: 'scroll-cue', textContent: 'scroll sideways →' });
  cue.setAttribute('aria-hidden', 'true');
  box.replaceWith(frame);
  frame.append(cue, box);
  const update = () => {
    frame.dataset.overflow = String(box.scrollWidth > box.clientWidth + 1);
    frame.dataset.start = String(box.scrollLeft <= 1);
    frame.dataset.end = String(box.scrollLeft + box.clientWidth >= box.scrollWidth - 1);
  };
  box.addEventListener('scroll', update, { passive: true });
  new ResizeObserver(update).observe(box);
  scrollFrames.push(update);
}
function refreshScrollCues() {
  for (const update of scrollFrames) update();
}

function hardware() {
  return state.hardware;
}

function update() {
  save();
  showError('');
  try {
    predictor = new MultiModelPredictor(state.runtime ? { runtime: state.runtime } : undefined);
    lastRec = predictor.recommendExecutionStrategy(workload(), hardware(), state.goal);
    renderPredictions(lastRec);
    renderRouting();
    renderTimeline();
    refreshScrollCues();
  } catch (e) {
    showError(e.message);
  }
}

// ---------- running ----------
function renderCalibration() {
  const list = $('calibration');
  list.replaceChildren();
  const s = pool.storage;
  const v = pool.validate();
  const where = s.persistent ? `kept in IndexedDB "${s.name}"`
    : s.unsaved ? `${s.unsaved} only in memory: ${s.writeError?.name ?? 'the write failed'}` : 'memory only';
  fact(list, 'Measurements', `${s.measurements} (${where})`, s.unsaved ? 'warn' : '');
  if (s.warning) fact(list, 'Storage', s.warning, 'warn');
  fact(list, 'Makespan error', v.makespan.n ? `mean ${fmt(100 * v.makespan.meanApe)} %, median ${fmt(100 * v.makespan.medianApe)} %` : 'no runs yet');
  fact(list, 'Refit due', `${v.refitDue ? 'yes' : 'no'}: ${v.reason}`);
  if (pool.lastFit) fact(list, 'Last refit', `held-out error ${fmt(100 * pool.lastFit.before.meanApe)} % → ${fmt(100 * pool.lastFit.after.meanApe)} % (${pool.lastFit.test} runs)`);
}
function renderRunBars(run) {
  const rows = run.models.map((m) => {
    const maxV = Math.max(m.latencyMs, m.predictedLatencyMs, 1e-6);
    const bar = (v, cls, name) => el('div', { className: `hbar ${cls}`, style: `width:${(100 * v) / maxV}%`, title: `${name} ${ms(v)} ms` });
    return el('div', { className: 'runrow' },
      el('div', { className: 'runlabel', textContent: `${m.id} · ${m.backend} · ${m.status}` }),
      el('div', {}, bar(m.predictedLatencyMs, 'pred', 'predicted'), bar(m.latencyMs, 'meas', 'measured')),
      el('div', { className: 'runnums', textContent: `measured ${ms(m.latencyMs)} ms · predicted ${ms(m.predictedLatencyMs)} ms` }));
  });
  $('run-bars').replaceChildren(el('p', { textContent: `${run.strategy}: makespan measured ${ms(run.makespanMs)} ms, predicted ${ms(run.prediction.totalMetrics.combinedLatency)} ms.` }), ...rows);
}
function renderScatter() {
  const W = 320, H = 240, pad = 34;
  const pts = runs.flatMap((r) => r.models.filter((m) => m.status === 'ok').map((m) => [m.predictedLatencyMs, m.latencyMs]));
  const maxV = Math.max(1, ...pts.flat());
  const sx = (v) => pad + (v / maxV) * (W - 2 * pad);
  const sy = (v) => H - pad - (v / maxV) * (H - 2 * pad);
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `${pts.length} model runs, predicted against measured latency` });
  root.append(svg('rect', { x: pad, y: pad, width: W - 2 * pad, height: H - 2 * pad, class: 'mem-bg' }));
  root.append(svg('line', { x1: sx(0), y1: sy(0), x2: sx(maxV), y2: sy(maxV), class: 'diag' }));
  for (const [p, m] of pts) {
    const c = svg('circle', { cx: sx(p), cy: sy(m), r: 4, class: 'pt' });
    const t = svg('title'); t.textContent = `predicted ${ms(p)} ms, measured ${ms(m)} ms`; c.append(t);
    root.append(c);
  }
  const xl = svg('text', { x: W / 2, y: H - 6, 'text-anchor': 'middle', class: 'small' }); xl.textContent = 'predicted ms';
  const yl = svg('text', { x: 4, y: 14, class: 'small' }); yl.textContent = `measured ms (max ${ms(maxV)})`;
  root.append(xl, yl);
  $('scatter').replaceChildren(root);
}
async function ensurePool() {
  if (!pool) pool = await ResourcePool.create({ capabilities: caps });
  return pool;
}
async function runInPage() {
  const button = $('run-button');
  button.disabled = true;
  const progress = $('run-progress');
  progress.hidden = false;
  try {
    await ensurePool();
    for (const m of pool.models()) pool.unregisterModel(m.id);
    const mflop = Math.min(512, Math.max(1, Number($('run-mflop').value) || 16));
    progress.max = state.models.length + 1;
    progress.value = 0;
    for (const [i, entry] of state.models.entries()) {
      $('run-status').textContent = `Preparing ${entry.model_name} (${i + 1} of ${state.models.length})…`;
      await pool.registerModel({ id: `${i + 1}:${entry.model_name}`, model: entry, workload: { maxMflop: mflop } });
      progress.value = i + 1;
    }
    $('run-status').textContent = 'Running…';
    const run = await pool.execute(undefined, { strategy: $('run-strategy').value, goal: state.goal });
    progress.value = progress.max;
    runs.push(run);
    renderRunBars(run);
    renderScatter();
    renderCalibration();
    const unsaved = pool.storage.unsaved ? ` in memory only (${pool.storage.writeError?.name ?? 'the IndexedDB write failed'})` : '';
    $('run-status').textContent = `Done: ${run.succeeded} of ${run.models.length} models ran; ${run.recorded ? `recorded as a measurement${unsaved}` : 'not recorded'}.`;
    $('run').dataset.runs = String(runs.length);
  } catch (e) {
    $('run-status').textContent = `The run failed: ${e.message}`;
  } finally {
    button.disabled = false;
    progress.hidden = true;
  }
}
async function refit() {
  await ensurePool();
  try {
    pool.lastFit = await pool.refit();
    $('run-status').textContent = `Refitted ${pool.lastFit.profile}: held-out makespan error ${fmt(100 * pool.lastFit.before.meanApe)} % → ${fmt(100 * pool.lastFit.after.meanApe)} %.`;
  } catch (e) {
    $('run-status').textContent = `No refit: ${e.message}`;
  }
  renderCalibration();
}
async function exportJson() {
  await ensurePool();
  const blob = new Blob([JSON.stringify(pool.exportMeasurements(), null, 2)], { type: 'application/json' });
  const a = el('a', { href: URL.createObjectURL(blob), download: 'multimodel-perf-measurements.json' });
  document.body.append(a);
  a.click();
  a.remove();
}

// ---------- start ----------
await init();
$('version').textContent = `multimodel-perf ${version()}`;
load();
catalog = listModels();
$('catalog').replaceChildren(...catalog.map((m) => el('option', { value: m.name, label: `${m.modelType.replace('_', ' ')}, ${fmt(m.params / 1e6, 0)} M parameters` })));
hardwareList = listHardware();
for (const box of document.querySelectorAll('.scroll')) scrollFrame(box);
caps = await detectCapabilities();
renderCaps();
const hw = $('hardware');
hw.append(new Option('this browser: each model on the backend routing picks', 'browser'));
hw.append(new Option("this browser's detected profile (WebGPU where there is an adapter)", 'detected'));
for (const d of hardwareList) hw.append(new Option(`${d.id} — ${d.name}`, d.id));
hw.value = state.hardware;
for (const r of ['onnxruntime-web', 'transformersjs', 'webllm', 'webnn', 'tfjs', 'tensorrt', 'pytorch', 'pytorch-autocast', 'pytorch-compile', 'pytorch-compile-autocast', 'pytorch-kept-heap', 'onnxruntime', 'openvino', 'qnn']) $('runtime').append(new Option(r, r));
$('runtime').value = state.runtime ?? '';
$('goal').value = state.goal;
$('max-memory').value = state.maxMemory ?? '';
hw.addEventListener('change', () => { state.hardware = hw.value; update(); });
$('runtime').addEventListener('change', () => { state.runtime = $('runtime').value; update(); });
$('goal').addEventListener('change', () => { state.goal = $('goal').value; update(); });
$('max-memory').addEventListener('change', () => { const v = Number($('max-memory').value); state.maxMemory = v > 0 ? v : null; update(); });
$('add-model').addEventListener('click', () => {
  const name = $('model-search').value.trim();
  const hit = catalog.find((m) => m.name.toLowerCase() === name.toLowerCase());
  if (!hit) { showError(`"${name}" is not a catalog model: pick one from the list, or add a custom model below.`); return; }
  $('model-search').value = '';
  addModel({ model_name: hit.name, batch_size: 1 });
});
$('model-search').addEventListener('keydown', (e) => { if (e.key === 'Enter') $('add-model').click(); });
$('add-custom').addEventListener('click', () => addModel({ model_name: $('custom-name').value.trim() || 'custom', model_type: $('custom-type').value, params: Number($('custom-params').value) || 100 }));
$('run-button').addEventListener('click', runInPage);
$('refit-button').addEventListener('click', refit);
$('export-button').addEventListener('click', exportJson);
renderModels();
renderTabs();
update();
await ensurePool();
renderCalibration();
document.body.dataset.ready = 'true';
