"""How fast an ONNX Runtime model on all cores runs while one other thread spins: the situation of a sequence's
next session beside the previous session's spinning worker, measured directly.

A spinner process busy-loops on one core for W ms from a common start; the model's process runs one inference
on N threads (N = the cores) from the same start. The model's extra time over its time alone, divided by W, is
the share of the window it lost (0: the spinner cost nothing; 1/3 on 2 cores: fair sharing of 3 threads on 2
cores without any stall; 1: no progress while the spinner ran). Medians over repeats, model runs interleaved
with and without the spinner.

    .venv/bin/python spin_beside.py [--window-ms 10,20,30] [--repeats 15] [model_name:batch ...]

Needs the ONNX graphs in .cache/onnx (run.py --runtime onnxruntime or check.py exports them). Prints one line
per model and window, and JSON at the end.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import statistics
import time

from workers import LEAD_S, wait_until

DEFAULT_MODELS = ["mobilenet-v2:1", "all-MiniLM-L6-v2:1", "resnet-50:1", "all-MiniLM-L6-v2:8", "vit-base-patch16-224:1"]
# The model's own pool spins ~34 ms after each run (spin_wall.py); runs start this long apart so it has
# blocked before the next start.
SETTLE_S = 0.06


def _spinner(conn):
    """Busy-loops from each start for the asked window, then reports."""
    while True:
        msg = conn.recv()
        if msg is None:
            return
        t_start, window_s = msg
        wait_until(t_start)
        end = t_start + window_s
        x = 0
        while time.monotonic() < end:
            x += 1
        conn.send(x)


def _model(conn, raw: dict, threads: int):
    """Holds one model's session; runs it from each start and reports (start, end)."""
    import models

    models.quiet_libraries()
    runner = models.OrtRunner(models.resolve(raw), [threads])
    for _ in range(3):
        runner.run(threads)
    conn.send("ready")
    while True:
        msg = conn.recv()
        if msg is None:
            return
        wait_until(msg)
        t0 = time.monotonic()
        runner.run(threads)
        conn.send((t0, time.monotonic()))


def measure(raw: dict, threads: int, windows_ms: list, repeats: int) -> dict:
    ctx = mp.get_context("spawn")
    mp_parent, mp_child = ctx.Pipe()
    sp_parent, sp_child = ctx.Pipe()
    model = ctx.Process(target=_model, args=(mp_child, raw, threads), daemon=True)
    spinner = ctx.Process(target=_spinner, args=(sp_child,), daemon=True)
    model.start()
    spinner.start()
    assert mp_parent.recv() == "ready"
    alone, beside = [], {w: [] for w in windows_ms}
    try:
        for _ in range(repeats):
            for w in [0] + windows_ms:
                t = time.monotonic() + LEAD_S
                if w:
                    sp_parent.send((t, w / 1e3))
                mp_parent.send(t)
                t0, t1 = mp_parent.recv()
                if w:
                    sp_parent.recv()
                    beside[w].append((t1 - t0) * 1e3)
                else:
                    alone.append((t1 - t0) * 1e3)
                time.sleep(SETTLE_S)
    finally:
        mp_parent.send(None)
        sp_parent.send(None)
        model.join(5)
        spinner.join(5)
    base = statistics.median(alone)
    out = {"model": raw, "threads": threads, "aloneMs": round(base, 2), "windows": []}
    for w in windows_ms:
        ms = statistics.median(beside[w])
        out["windows"].append({"windowMs": w, "medianMs": round(ms, 2), "lostShareOfWindow": round((ms - base) / w, 3)})
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--window-ms", default="10,20,30")
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("models", nargs="*", default=DEFAULT_MODELS)
    args = ap.parse_args()
    windows = [int(w) for w in args.window_ms.split(",")]
    threads = os.cpu_count()
    results = []
    for spec in args.models:
        name, _, batch = spec.partition(":")
        raw = {"model_name": name, "batch_size": int(batch or 1)}
        r = measure(raw, threads, windows, args.repeats)
        for w in r["windows"]:
            print(f"{name} b{raw['batch_size']} on {threads} threads: alone {r['aloneMs']:.1f} ms; beside a"
                  f" {w['windowMs']} ms spinner {w['medianMs']:.1f} ms, lost {w['lostShareOfWindow']:.2f} of the window",
                  flush=True)
        results.append(r)
    print(json.dumps({"cores": threads, "results": results}))


if __name__ == "__main__":
    main()
