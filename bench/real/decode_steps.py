"""Each decode step's time after the prefill, in ONNX Runtime, on 1 and on every thread count.

Generation here runs two sessions (the prefill graph, then the cached decode graph, as `run.py` does and as
Optimum's decoder / decoder-with-past models do). With more than one thread, the prefill session's pool keeps
spinning after it returns, on cores the decode session needs, so the first steps run slower than the later
ones. Each generation starts 0.1 s after the last (both pools asleep); medians over the last 6 of 8.

    .venv/bin/python decode_steps.py [--models t5-small-b1-s128,gpt2-b1-s128] [--steps 12]

Needs the graphs `run.py` exports into .cache/onnx (run a scenario with the model first).
"""

import argparse
import os
import statistics
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

import onnx_export
from models import ort_session

CACHE = Path(__file__).resolve().parent / ".cache" / "onnx"


def one_generation(pre, dec, feeds: dict, kind: str, steps: int) -> list:
    """[prefill ms, step 1 ms, ...]: `onnx_export.decode`, timed between the tokens it yields."""
    sessions = {"prefill": pre, "decode": dec}
    times = []
    t0 = time.perf_counter()
    for _ in onnx_export.decode(SimpleNamespace(kind=kind), sessions, feeds, steps):
        t1 = time.perf_counter()
        times.append((t1 - t0) * 1e3)
        t0 = t1
    return times


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default="t5-small-b1-s128,gpt2-b1-s128",
                    help="graph folders under .cache/onnx (prefill.onnx, decode.onnx, inputs.npz)")
    ap.add_argument("--steps", type=int, default=12)
    args = ap.parse_args()
    cores = os.cpu_count() or 1
    for name in args.models.split(","):
        folder = CACHE / name
        feeds = dict(np.load(folder / "inputs.npz"))
        # `onnx_export.decode` feeds GPT-2's decoder `input_ids`, every other decoder `decoder_input_ids`.
        kind = "gpt2" if "decoder_input_ids" not in feeds else "seq2seq"
        for threads in sorted({1, cores}):
            pre, dec = ort_session(folder / "prefill.onnx", threads), ort_session(folder / "decode.onnx", threads)
            rows = []
            for _ in range(8):
                time.sleep(0.1)
                rows.append(one_generation(pre, dec, feeds, kind, args.steps))
            med = [statistics.median(col) for col in zip(*rows[2:])]
            print(f"{name} {threads} thread(s): prefill {med[0]:.1f} ms; steps "
                  + " ".join(f"{x:.1f}" for x in med[1:]), flush=True)


if __name__ == "__main__":
    main()
