"""Measures several models alone and together under execution plans on a real CPU runtime.

    .venv/bin/python run.py --runtime pytorch|onnxruntime [--scenarios scenarios.json] [--only a,b]
                            [--rounds K] [--passes P] [--warmup W] [--plans p,q] [--out file]

One worker process per model (spawned, model loaded and warmed up once); for onnxruntime one more worker
holds every model for the `sequential-one-process` plan. See plans.py for the plans and README.md for the
output format. Progress goes to stderr, a summary table per scenario to stdout, results to a JSON file that is
rewritten after every scenario (an interrupted run keeps what it finished).
"""

from __future__ import annotations

import argparse
import datetime
import json
import multiprocessing as mp
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import models
import noise
from heap_faults import KEPT_HEAP
import plans as plan_mod
from workers import WorkerError, WorkerPool

HERE = Path(__file__).resolve().parent
RUNTIMES = ("pytorch", "onnxruntime")
# KEPT_HEAP: glibc malloc's tunables that keep the heap's freed pages (trimming and mmap off). PyTorch's eager
# tensors come from malloc, and with glibc's defaults a call faults in again what the last one gave back, an
# amount that depends on the process's history (heap_faults.py). `mmperf check-real` predicts a PyTorch run made
# this way with its `pytorch-kept-heap` rules, one made with glibc's defaults with `pytorch`'s.
NOISY = 0.10  # foreign CPU share above which a plan's figures are flagged (a quiet VM shows 0-3 %)
ISA_FLAGS = ("sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512_vnni",
             "avx512_bf16", "avx_vnni", "amx_tile", "amx_bf16", "amx_int8")


class ScenarioError(ValueError):
    """Bad scenario input; the message says where."""


def log(msg: str):
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------------------------
# Input


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runtime", required=True, choices=RUNTIMES)
    p.add_argument("--scenarios", default=str(HERE / "scenarios.json"))
    p.add_argument("--only", default="", help="comma-separated scenario names")
    p.add_argument("--rounds", type=int, default=5, help="measured rounds per plan and pass")
    p.add_argument("--passes", type=int, default=2, help="interleaved passes over all plans")
    p.add_argument("--warmup", type=int, default=1, help="untimed rounds per plan and pass")
    p.add_argument("--plans", default="", help=f"comma-separated subset of {', '.join(plan_mod.PLAN_NAMES)}")
    p.add_argument("--no-alone", action="store_true", help="skip the alone (1..N threads) measurements")
    p.add_argument("--out", default="", help="results file (default results/<runtime>-<host>-<date>.json)")
    p.add_argument("--heap", choices=("kept", "glibc"), default=None,
                   help="workers' glibc malloc: 'kept' sets " + " ".join(f"{k}={v}" for k, v in KEPT_HEAP.items())
                   + " (no page given back, none faulted in again), 'glibc' clears them (glibc's defaults); "
                   "default: kept for pytorch, the environment's for onnxruntime")
    args = p.parse_args(argv)
    if args.rounds < 1 or args.passes < 1 or args.warmup < 0:
        p.error("--rounds and --passes must be >= 1, --warmup >= 0")
    return args


def _plan_list(value, where: str) -> tuple:
    names = [v.strip() for v in value.split(",")] if isinstance(value, str) else value
    if not isinstance(names, list) or not names:
        raise ScenarioError(f"{where}: expected a non-empty list of plan names")
    bad = [n for n in names if n not in plan_mod.PLAN_NAMES]
    if bad:
        raise ScenarioError(f"{where}: unknown plan(s) {bad}; known: {', '.join(plan_mod.PLAN_NAMES)}")
    return tuple(names)


def _scenario(raw, i: int, base: Path) -> dict:
    """Validates one scenario: {"name", "models" | "models_from", "description"?, "plans"?}."""
    where = f"scenarios[{i}]"
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        raise ScenarioError(f"{where}: expected an object with a string 'name'")
    where = f"scenario '{raw['name']}'"
    unknown = set(raw) - {"name", "description", "models", "models_from", "plans", "_comment"}
    if unknown:
        raise ScenarioError(f"{where}: unknown field(s) {sorted(unknown)}")
    entries = raw.get("models")
    if "models_from" in raw:
        path = (base / raw["models_from"]).resolve()
        try:
            loaded = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise ScenarioError(f"{where}.models_from: cannot read {path}: {exc}") from exc
        entries = loaded["models"] if isinstance(loaded, dict) else loaded
    if not isinstance(entries, list) or not entries:
        raise ScenarioError(f"{where}: 'models' must be a non-empty list of model entries")
    try:
        resolved = [models.resolve(e, f"{where}.models[{j}]") for j, e in enumerate(entries)]
    except models.EntryError as exc:
        raise ScenarioError(str(exc)) from exc
    wanted = _plan_list(raw["plans"], f"{where}.plans") if "plans" in raw else plan_mod.PLAN_NAMES
    return {"name": raw["name"], "description": raw.get("description", ""), "entries": resolved,
            "plans": wanted}


def load_scenarios(path: str, only: str) -> list:
    """Reads and validates the scenarios file; `only` keeps the named ones (all must exist)."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ScenarioError(f"{path}: {exc}") from exc
    raw = data.get("scenarios") if isinstance(data, dict) else data
    if not isinstance(raw, list):
        raise ScenarioError(f"{path}: expected {{\"scenarios\": [...]}} or a list of scenarios")
    scenarios = [_scenario(s, i, Path(path).resolve().parent) for i, s in enumerate(raw)]
    names = [s["name"] for s in scenarios]
    if len(set(names)) != len(names):
        raise ScenarioError(f"{path}: scenario names must be unique")
    if only:
        keep = [n.strip() for n in only.split(",") if n.strip()]
        missing = [n for n in keep if n not in names]
        if missing:
            raise ScenarioError(f"--only: no scenario named {missing}; known: {', '.join(names)}")
        scenarios = [s for s in scenarios if s["name"] in keep]
    return scenarios


# ---------------------------------------------------------------------------------------------------------------
# Machine and runtime


def machine_info() -> dict:
    """CPU model (lscpu), core count, the vector ISA flags the kernel reports, and glibc malloc's tunables
    from the environment (`MALLOC_*`, e.g. a heap never trimmed: `heap_faults.py`)."""
    cpu = "unknown"
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        cpu = next((ln.split(":", 1)[1].strip() for ln in out.splitlines() if ln.startswith("Model name")), cpu)
    except OSError:
        pass
    flags = set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                break
    except OSError:
        pass
    malloc = {k: v for k, v in sorted(os.environ.items()) if k.startswith("MALLOC_")}
    return {"cpu": cpu, "cores": os.cpu_count(), "isa": [f for f in ISA_FLAGS if f in flags], "malloc": malloc}


def _version_of(runtime) -> str:
    """Runs in a child: imports the runtime to read its version."""
    return models.runtime_version(runtime)


def prepare(runtime: str, scenarios: list) -> tuple:
    """Runtime version (asked in a child, so that the parent never loads a runtime), and for onnxruntime the
    export of every graph not yet cached; returns (version, {entry key: export error})."""
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=mp.get_context("spawn")) as ex:
        version = ex.submit(_version_of, runtime).result()
    if runtime != "onnxruntime":
        return version, {}
    entries = [e for s in scenarios for e in s["entries"]]
    log(f"ONNX graphs: {models.cache_dir()} (exporting those not cached)")
    return version, models.export_in_child(entries)


# ---------------------------------------------------------------------------------------------------------------
# Measurement


def run_round(pool: WorkerPool, plan: plan_mod.Plan) -> tuple:
    """One round: (makespan ms, [ms per model or None], worst start lag ms)."""
    n = len(plan.threads)
    model_ms, makespan, lag = [None] * n, 0.0, 0.0
    groups = [sum(plan.groups, ())] if plan.one_process else plan.groups
    for group in groups:
        t_start, done = pool.run_group({i: plan.threads[i] for i in group}, plan.one_process)
        makespan += max(end for _, _, end in done) - t_start
        for slot, start, end in done:
            model_ms[slot] = (end - start) * 1e3
        lag = max(lag, (min(start for _, start, _ in done) - t_start) * 1e3)
    return makespan * 1e3, model_ms, lag


def probe_weights(pool: WorkerPool, n: int) -> list:
    """Single-thread time of each model (ms, one round alone), for proportional thread splits."""
    weights = []
    for i in range(n):
        _, done = pool.run_group({i: 1})
        weights.append((done[0][2] - done[0][1]) * 1e3)
    return weights


def pass_order(items: list, p: int) -> list:
    """Pass 0 in order, pass 1 reversed, later passes shuffled (seeded)."""
    if p == 0:
        return list(items)
    if p == 1:
        return list(reversed(items))
    order = list(items)
    random.Random(p).shuffle(order)
    return order


def measure_plan(pool, plan, args) -> dict:
    """One pass of one plan: warm-up rounds, then timed rounds under the noise meter."""
    for _ in range(args.warmup):
        run_round(pool, plan)
    rec = {"makespan": [], "models": [[] for _ in plan.threads], "lag": 0.0}
    meter = noise.Meter(pool.pids())
    for _ in range(args.rounds):
        span, per_model, lag = run_round(pool, plan)
        rec["makespan"].append(span)
        rec["lag"] = max(rec["lag"], lag)
        for i, ms in enumerate(per_model):
            if ms is not None:
                rec["models"][i].append(ms)
    rec["noise"] = meter.read()
    return rec


def measure_plans(pool, items, args, progress) -> dict:
    """Interleaved passes over `items`; returns {plan: [one measure_plan record per pass]}."""
    samples = {plan: [] for plan in items}
    for p in range(args.passes):
        for k, plan in enumerate(pass_order(items, p)):
            progress(f"pass {p + 1}/{args.passes} [{k + 1}/{len(items)}] {plan.label()}")
            samples[plan].append(measure_plan(pool, plan, args))
    return samples


def spread(values: list) -> dict:
    """min / max / quartiles / IQR of pooled samples (ms)."""
    q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive") if len(values) > 1 else values * 3
    return {"minMs": _r(min(values)), "maxMs": _r(max(values)), "q1Ms": _r(q1), "q3Ms": _r(q3),
            "iqrMs": _r(q3 - q1), "relIqr": round((q3 - q1) / statistics.median(values), 4)}


def _r(x):
    return round(x, 3)


def plan_record(plan, passes) -> dict:
    """A plan's JSON: its samples per pass, pooled medians and spread."""
    pooled = [v for rec in passes for v in rec["makespan"]]
    per_model = [[v for rec in passes for v in rec["models"][i]] for i in range(len(plan.threads))]
    return {
        "plan": plan.plan, "groups": [list(g) for g in plan.groups], "threads": list(plan.threads),
        "passes": [{"makespanMs": [_r(v) for v in rec["makespan"]],
                    "modelMs": [[_r(v) for v in m] for m in rec["models"]], **rec["noise"]} for rec in passes],
        "medianMakespanMs": _r(statistics.median(pooled)),
        "medianModelMs": [_r(statistics.median(m)) if m else None for m in per_model],
        "spread": {**spread(pooled), "passMedianMs": [_r(statistics.median(r["makespan"])) for r in passes]},
        "maxStartLagMs": _r(max(rec["lag"] for rec in passes)),
    }


def alone_record(plan, passes) -> dict:
    """An alone measurement's JSON: the model's samples pooled over passes."""
    i = plan.alone
    pooled = [v for rec in passes for v in rec["models"][i]]
    return {"model": i, "threads": plan.threads[i], "ms": [_r(v) for v in pooled],
            "medianMs": _r(statistics.median(pooled)),
            "passMedianMs": [_r(statistics.median(rec["models"][i])) for rec in passes],
            "foreignCpu": [rec["noise"]["foreignCpu"] for rec in passes],
            "spread": spread(pooled)}


def measure_scenario(sc: dict, args, runtime: str, progress) -> dict:
    """Starts the scenario's workers, measures every plan in interleaved passes, returns its record."""
    entries, cores = sc["entries"], os.cpu_count()
    wanted = _plan_list(args.plans, "--plans") if args.plans else sc["plans"]
    t0, load0 = time.monotonic(), os.getloadavg()[0]
    one_process = "sequential-one-process" in wanted
    progress("starting workers")
    with WorkerPool(runtime, entries, list(range(1, cores + 1)), one_process) as pool:
        progress("warm-up")
        pool.warm_up()
        weights = probe_weights(pool, len(entries))
        plans = plan_mod.scenario_plans(weights, cores, wanted)
        alone = [] if args.no_alone else plan_mod.alone_plans(len(entries), cores)
        samples = measure_plans(pool, alone + plans, args, progress)
    return {
        "name": sc["name"], "description": sc["description"],
        "models": [e.cli_json() for e in entries], "runs": [e.describe() for e in entries],
        "probeOneThreadMs": [_r(w) for w in weights],
        "alone": [alone_record(p, samples[p]) for p in alone],
        "plans": [plan_record(p, samples[p]) for p in plans],
        "loadAvg1m": [round(load0, 2), round(os.getloadavg()[0], 2)],
        "wallS": round(time.monotonic() - t0, 1),
    }


# ---------------------------------------------------------------------------------------------------------------
# Output


def default_out(runtime: str) -> Path:
    """results/<runtime>-<hostname>-<date>.json beside this file."""
    date = datetime.date.today().isoformat()
    return HERE / "results" / f"{runtime}-{socket.gethostname()}-{date}.json"


def write_json(path: Path, doc: dict):
    """Atomic write (tmp + rename), so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc, indent=1) + "\n")
    tmp.replace(path)


def _worst(fractions) -> float:
    """The largest known foreign-CPU fraction (0 when none is known)."""
    return max((f for f in fractions if f is not None), default=0.0)


def _pct(fractions) -> str:
    """The worst foreign-CPU fraction of the passes, as a percentage."""
    fractions = list(fractions)
    return f"{_worst(fractions) * 100:.0f}%" if any(f is not None for f in fractions) else "?"


def summary(rec: dict) -> str:
    """The scenario's table: alone times, then every plan with median, spread and ratio to sequential."""
    names = [f"{m['model_name']} b{m['batch_size']}" for m in rec["models"]]
    lines = [f"\n== {rec['name']}: {' + '.join(names)} (load {rec['loadAvg1m']}) =="]
    for a in rec["alone"]:
        s = a["spread"]
        lines.append(f"  alone m{a['model']} {rec['models'][a['model']]['model_name']:<24} t{a['threads']}  "
                     f"{a['medianMs']:9.1f} ms  IQR {s['iqrMs']:7.1f}  [{s['minMs']:.1f}..{s['maxMs']:.1f}]"
                     f"  others {_pct(a['foreignCpu'])}")
    if not rec["plans"]:
        return "\n".join(lines)
    lines.append(f"  {'plan':<24}{'groups':<16}{'threads':<10}{'median ms':>10}{'IQR':>8}"
                 f"{'min..max':>20}{'passes':>20}  vs seq  others")
    seq = next((p for p in rec["plans"] if p["plan"] == "sequential"), None)
    for p in rec["plans"]:
        s = p["spread"]
        groups = "|".join(",".join(map(str, g)) for g in p["groups"])
        ratio = f"{seq['medianMakespanMs'] / p['medianMakespanMs']:.2f}x" if seq else "-"
        passes = "/".join(f"{v:.0f}" for v in s["passMedianMs"])
        span = f"{s['minMs']:.0f}..{s['maxMs']:.0f}"
        lines.append(f"  {p['plan']:<24}{groups:<16}{','.join(map(str, p['threads'])):<10}"
                     f"{p['medianMakespanMs']:10.1f}{s['iqrMs']:8.1f}{span:>20}{passes:>20}  {ratio:>6}  "
                     f"{_pct([ps.get('foreignCpu') for ps in p['passes']])}")
    noisy = [p["plan"] + (str(p["groups"]) if p["plan"] == "batched" else "") for p in rec["plans"] if _worst(ps.get("foreignCpu") for ps in p["passes"]) > NOISY]
    if noisy:
        lines.append(f"  WARNING: other processes took > {NOISY:.0%} of the CPU during {', '.join(noisy)}: "
                     "those figures are unreliable, rerun on a quiet machine")
    best = min(rec["plans"], key=lambda p: p["medianMakespanMs"])
    if seq:
        lines.append(f"  best: {best['plan']} {best['groups']} t{best['threads']} {best['medianMakespanMs']:.1f} ms,"
                     f" speed-up over sequential {seq['medianMakespanMs'] / best['medianMakespanMs']:.2f}x")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------------------
# Main


def _sigterm(signum, frame):
    raise KeyboardInterrupt


def run(args) -> int:
    scenarios = load_scenarios(args.scenarios, args.only)
    if args.plans:
        _plan_list(args.plans, "--plans")
    out = Path(args.out) if args.out else default_out(args.runtime)
    version, failed = prepare(args.runtime, scenarios)
    doc = {"runtime": args.runtime, "runtimeVersion": version, "machine": machine_info(),
           "timestampMs": int(time.time() * 1000),
           "settings": {"rounds": args.rounds, "passes": args.passes, "warmup": args.warmup},
           "scenarios": [], "failed": []}
    for i, sc in enumerate(scenarios):
        bad = [failed[e.key()] for e in sc["entries"] if e.key() in failed]
        progress = lambda msg, i=i, sc=sc: log(f"[{i + 1}/{len(scenarios)} {sc['name']}] {msg}")
        if bad:
            progress(f"SKIPPED: ONNX export failed: {bad[0].splitlines()[0]}")
            doc["failed"].append({"name": sc["name"], "error": bad[0]})
            continue
        try:
            rec = measure_scenario(sc, args, args.runtime, progress)
        except WorkerError as exc:
            progress(f"FAILED: {exc}")
            doc["failed"].append({"name": sc["name"], "error": str(exc)})
            continue
        doc["scenarios"].append(rec)
        write_json(out, doc)
        print(summary(rec), flush=True)
    write_json(out, doc)
    log(f"results: {out}")
    return 1 if doc["failed"] else 0


def set_heap(heap):
    """Sets (`kept`) or clears (`glibc`) the kept-heap tunables in the environment the workers start with
    (glibc reads them when a process starts); None leaves the environment as it is."""
    for k, v in KEPT_HEAP.items():
        if heap == "kept":
            os.environ[k] = v
        elif heap == "glibc":
            os.environ.pop(k, None)
    if heap:
        settings = " ".join(f"{k}={os.environ.get(k, 'unset')}" for k in KEPT_HEAP)
        log(f"heap: {heap} ({settings})")


def main(argv=None) -> int:
    models.quiet_libraries()
    signal.signal(signal.SIGTERM, _sigterm)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with SIGINT ignored (`cmd &`)
    args = parse_args(argv)
    set_heap(args.heap or ("kept" if args.runtime == "pytorch" else None))
    try:
        return run(args)
    except ScenarioError as exc:
        log(f"error: {exc}")
        return 2
    except KeyboardInterrupt:
        log("interrupted: workers stopped; finished scenarios are in the results file")
        return 130


if __name__ == "__main__":
    sys.exit(main())
