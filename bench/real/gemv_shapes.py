"""PyTorch's single-row products (a decode step's) by shape and weight layout, on one thread or more: each shape's
weights repeated to 300 MB (beyond any last-level cache), timed as a chain of calls with the same input row;
µs per call and GB/s of weights read. `NN` is `x @ W` with W stored in x out (GPT-2's Conv1D), `NT` is
`F.linear(x, W)` with W stored out x in (nn.Linear). Best of 5 passes.

The last line fits every shape's time per call as `bytes / bandwidth + rows x per-row cost + per-call cost`
(least squares), where the rows are the weight's stored rows (out for NT, in for NN): what a row of the
stored matrix costs beyond its bytes (MKL reduces each NT row to one output, and scales and adds each NN row
into the output).

    .venv/bin/python gemv_shapes.py [--threads T] [--out results/gemv-shapes-NAME.txt]
"""
import argparse
import time

import numpy as np

SHAPES = [(384, 384), (512, 512), (384, 1536), (1536, 384), (512, 2048), (2048, 512), (768, 768),
          (768, 3072), (3072, 768), (768, 2304), (512, 32128), (768, 50257)]
TOTAL_BYTES = 300e6


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", help="also write the lines here")
    ap.add_argument("--threads", type=int, default=1, help="intra-op threads (default 1)")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    lines = [f"torch {torch.__version__}, {args.threads} thread(s): in x out, layout, MB per call, µs per call, "
             "GB/s, stored rows"]
    fit = []
    print(lines[0], flush=True)
    with torch.inference_mode():
        for k, n in SHAPES:
            count = int(TOTAL_BYTES / (k * n * 4)) + 1
            x = torch.randn(1, k)
            for layout in ("NT", "NN"):
                if layout == "NT":
                    ws = [torch.randn(n, k) for _ in range(count)]
                    call = torch.nn.functional.linear
                else:
                    ws = [torch.randn(k, n) for _ in range(count)]
                    call = torch.mm
                for w in ws:
                    call(x, w)
                best = float("inf")
                for _ in range(5):
                    t0 = time.perf_counter()
                    for w in ws:
                        call(x, w)
                    best = min(best, time.perf_counter() - t0)
                us = best / count * 1e6
                mb = k * n * 4 / 1e6
                rows = n if layout == "NT" else k
                fit.append((mb, rows, us))
                lines.append(f"{k:5} x {n:<5} {layout} {mb:6.2f} MB {us:8.1f} µs {mb * 1e3 / us:6.1f} GB/s "
                             f"{rows:6}")
                print(lines[-1], flush=True)
                del ws
    a = np.array([[mb, rows, 1.0] for mb, rows, _ in fit])
    t = np.array([us for _, _, us in fit])
    coef, *_ = np.linalg.lstsq(a, t, rcond=None)
    per_mb, per_row, per_call = coef
    resid = np.abs(a @ coef / t - 1)
    lines.append(f"fit: {1e3 / per_mb:.1f} GB/s, {per_row * 1e3:.1f} ns per stored row, {per_call:.1f} µs per call; "
                 f"|error| median {100 * np.median(resid):.1f} %, max {100 * resid.max():.1f} %")
    print(lines[-1], flush=True)
    if args.out:
        open(args.out, "w").write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
