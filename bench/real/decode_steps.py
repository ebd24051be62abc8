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

import numpy as np

import onnx_export

CACHE = Path(__file__).resolve().parent / ".cache" / "onnx"


def session(path: Path, threads: int):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def one_generation(pre, dec, feeds: dict, ids_name: str, steps: int) -> list:
    """[prefill ms, step 1 ms, ...]."""
    t0 = time.perf_counter()
    outs = dict(zip([o.name for o in pre.get_outputs()], pre.run(None, onnx_export._only(pre, feeds))))
    times = [(time.perf_counter() - t0) * 1e3]
    tok = outs["logits"].argmax(-1)[:, None].astype(np.int64)
    cross = {k: v for k, v in outs.items() if k.startswith("cross.")}
    past = {k.replace("present.", "past."): v for k, v in outs.items() if k.startswith("present.")}
    static = onnx_export._only(dec, {**cross, "attention_mask": feeds.get("attention_mask")})
    names = [o.name for o in dec.get_outputs()]
    for _ in range(steps):
        t0 = time.perf_counter()
        res = dict(zip(names, dec.run(None, {ids_name: tok, **past, **static})))
        times.append((time.perf_counter() - t0) * 1e3)
        past = {k.replace("present.", "past."): v for k, v in res.items() if k.startswith("present.")}
        tok = res["logits"].argmax(-1)[:, None].astype(np.int64)
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
        ids_name = "decoder_input_ids" if "decoder_input_ids" in feeds else "input_ids"
        for threads in sorted({1, cores}):
            pre, dec = session(folder / "prefill.onnx", threads), session(folder / "decode.onnx", threads)
            rows = []
            for _ in range(8):
                time.sleep(0.1)
                rows.append(one_generation(pre, dec, feeds, ids_name, args.steps))
            med = [statistics.median(col) for col in zip(*rows[2:])]
            print(f"{name} {threads} thread(s): prefill {med[0]:.1f} ms; steps "
                  + " ".join(f"{x:.1f}" for x in med[1:]), flush=True)


if __name__ == "__main__":
    main()
