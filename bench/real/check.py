"""Checks every catalog model: builds it on PyTorch, exports it to ONNX (cached), and compares ONNX Runtime's
output with PyTorch's (generated tokens must match; encoder outputs within tolerance). Prints one line per
model with both runtimes' single-inference time at all cores.

    .venv/bin/python check.py [model_name ...]
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

import models

SEED = models.SEED


def _first(out):
    """The first tensor of a model output, as numpy."""
    import torch

    if isinstance(out, list) and out and isinstance(out[0], torch.Tensor):
        return torch.cat(out, dim=1).numpy()
    if isinstance(out, list):
        return np.concatenate(out, axis=1) if out[0].dtype == np.int64 else out[0]
    if hasattr(out, "last_hidden_state"):
        return out.last_hidden_state.numpy()
    return out.numpy()


def _timed(fn, reps=3):
    fn()
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1e3)
    return float(np.median(times))


def check(name: str) -> bool:
    """Builds, exports and compares one model; returns whether the runtimes agree."""
    entry = models.resolve({"model_name": name})
    cores = os.cpu_count()
    t0 = time.perf_counter()
    failed = models.export_in_child([entry])
    export_s = time.perf_counter() - t0
    if failed:
        print(f"{name:24s} EXPORT FAILED: {failed[entry.key()]}", flush=True)
        return False
    torch_runner = models.TorchRunner(entry, SEED)
    a = _first(torch_runner.run())
    t_torch = _timed(torch_runner.run)  # before any ORT session (and its thread pool) exists
    ort_runner = models.OrtRunner(entry, [cores])
    b = _first(ort_runner.run(cores))
    t_ort = _timed(lambda: ort_runner.run(cores))
    if a.dtype == np.int64:
        ok, detail = bool((a == b).all()), f"tokens equal {int((a == b).sum())}/{a.size}"
    else:
        err = float(np.abs(a - b).max() / (np.abs(a).max() + 1e-9))
        ok, detail = err < 1e-3, f"max rel err {err:.1e}"
    print(f"{name:24s} {'OK ' if ok else 'BAD'} {detail:24s} torch {t_torch:7.1f} ms  ort {t_ort:7.1f} ms  "
          f"(export {export_s:.0f} s) — {entry.describe()}", flush=True)
    return ok


def main(argv):
    models.quiet_libraries()
    import torch

    torch.set_num_threads(os.cpu_count())
    names = argv or list(models.KINDS)
    bad = [n for n in names if not check(n)]
    if bad:
        print("MISMATCH:", ", ".join(bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
