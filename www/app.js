// The front page: edit a workload, pick a device and a goal, see every strategy evaluated and the schedule of
// the recommended plan. All numbers come from the wasm package (pkg/, built by `npm run build`).
import init, { MultiModelPredictor, listHardware, version } from './pkg/multimodel_perf.js';

const SEED = [
  { model_name: 'bert-base-uncased', model_type: 'text_embedding', batch_size: 4 },
  { model_name: 'vit-base-patch16-224', model_type: 'vision', batch_size: 1 },
  { model_name: 't5-small', model_type: 'text_generation', batch_size: 2 },
];
const $ = (id) => document.getElementById(id);

function fmt(x, digits = 1) {
  return Number(x).toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function renderOptions(rec) {
  const body = $('options').tBodies[0];
  body.replaceChildren(...rec.alternatives.map((alt) => {
    const tr = document.createElement('tr');
    if (alt.label === rec.recommendedStrategy) tr.className = 'chosen';
    const m = alt.totalMetrics;
    for (const v of [alt.label, fmt(m.combinedThroughput), fmt(m.combinedLatency, 3), fmt(m.meanLatency, 3), fmt(m.combinedMemory, 0), m.feasible ? 'yes' : `no (+${fmt(m.overflowMb, 0)} MB)`]) {
      const td = document.createElement('td');
      td.textContent = v;
      tr.append(td);
    }
    return tr;
  }));
  $('reason').textContent = rec.reason;
}

function renderTimeline(p) {
  const bars = p.executionSchedule.timeline;
  const total = p.executionSchedule.totalExecutionTime || 1;
  const rowH = 26, labelW = 190, width = 720, h = bars.length * rowH + 24;
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${h}`);
  bars.forEach((b, i) => {
    const y = i * rowH + 4;
    const label = document.createElementNS(ns, 'text');
    label.setAttribute('x', 0); label.setAttribute('y', y + 15);
    label.textContent = b.model;
    const rect = document.createElementNS(ns, 'rect');
    const x = labelW + (b.startTime / total) * (width - labelW - 10);
    rect.setAttribute('x', x); rect.setAttribute('y', y);
    rect.setAttribute('width', Math.max(2, (b.duration / total) * (width - labelW - 10)));
    rect.setAttribute('height', rowH - 8);
    rect.setAttribute('class', `g${b.group % 6}`);
    const tip = document.createElementNS(ns, 'title');
    tip.textContent = `${b.model} on ${b.device}: ${fmt(b.startTime, 3)} → ${fmt(b.endTime, 3)} ms`;
    rect.append(tip);
    svg.append(label, rect);
  });
  const axis = document.createElementNS(ns, 'text');
  axis.setAttribute('x', width - 10); axis.setAttribute('y', h - 4); axis.setAttribute('text-anchor', 'end');
  axis.textContent = `${fmt(total, 3)} ms`;
  svg.append(axis);
  $('timeline').replaceChildren(svg);
  $('warnings').replaceChildren(...p.warnings.map((w) => Object.assign(document.createElement('li'), { textContent: w })));
}

function run(predictor) {
  $('error').hidden = true;
  try {
    const workload = JSON.parse($('workload').value);
    const rec = predictor.recommendExecutionStrategy(workload, $('hardware').value, $('goal').value);
    renderOptions(rec);
    renderTimeline(rec.prediction);
    const url = new URL(location.href);
    url.searchParams.set('w', JSON.stringify(workload));
    url.searchParams.set('hw', $('hardware').value);
    url.searchParams.set('goal', $('goal').value);
    history.replaceState(null, '', url);
  } catch (e) {
    $('error').textContent = e.message;
    $('error').hidden = false;
  }
}

await init();
const predictor = new MultiModelPredictor();
const params = new URLSearchParams(location.search);
for (const d of listHardware()) $('hardware').append(new Option(`${d.id} — ${d.name}`, d.id));
$('hardware').value = params.get('hw') ?? 'cuda:a100-40gb';
$('goal').value = params.get('goal') ?? 'throughput';
$('workload').value = JSON.stringify(params.has('w') ? JSON.parse(params.get('w')) : SEED, null, 2);
$('version').textContent = `multimodel-perf ${version()}`;
$('run').addEventListener('click', () => run(predictor));
for (const id of ['hardware', 'goal']) $(id).addEventListener('change', () => run(predictor));
run(predictor);
window.__ready = true;
