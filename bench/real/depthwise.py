"""PyTorch's CPU depthwise convolution (groups = channels, NCHW fp32, eval, inference mode) alone, per call, at
the depthwise shapes of mobilenet-v2 and efficientnet-b0 (channels, side, kernel, stride), batch 1 and 8, on 1
and 2 threads: milliseconds, GFLOP/s and GB/s (input + output bytes once).

    .venv/bin/python depthwise.py [--out results/depthwise-NAME.json]

Why: PyTorch's mobilenet-v2 and efficientnet-b0 run 20-50 % slower than predicted (issue 11's cnn-trio and
four-small scenarios), and torch.profiler puts most of the gap in `aten::mkldnn_convolution` on the depthwise
layers, which the model costs as memory-bound.
"""
import argparse
import json
import os
import time

import torch

# (channels, side, kernel, stride) of mobilenet-v2's and efficientnet-b0's depthwise layers.
SHAPES = [(32, 112, 3, 1), (96, 112, 3, 2), (144, 56, 3, 1), (144, 56, 3, 2), (192, 28, 3, 1),
          (192, 28, 3, 2), (384, 14, 3, 1), (576, 14, 3, 1), (576, 14, 3, 2), (960, 7, 3, 1),
          (144, 56, 5, 2), (240, 28, 5, 1), (480, 14, 5, 1), (672, 14, 5, 2), (1152, 7, 5, 1)]


def conv_and_input(c, h, k, s, batch):
    """The depthwise convolution of a shape and a random input batch for it."""
    conv = torch.nn.Conv2d(c, c, k, s, k // 2, groups=c, bias=False).eval()
    return conv, torch.randn(batch, c, h, h)


def time_one(threads, batch, c, h, k, s):
    """One shape: milliseconds per call and its rates."""
    conv, x = conv_and_input(c, h, k, s, batch)
    with torch.inference_mode():
        for _ in range(3):
            y = conv(x)
        n = max(5, int(2e7 / (batch * c * h * h)))
        t = time.perf_counter()
        for _ in range(n):
            y = conv(x)
        dt = (time.perf_counter() - t) / n
    ho = y.shape[2]
    flops = 2 * batch * c * ho * ho * k * k
    byts = 4 * (batch * c * h * h + batch * c * ho * ho)
    return dict(th=threads, bs=batch, C=c, H=h, k=k, s=s, ms=dt * 1e3, gflops=flops / dt / 1e9,
                gbs=byts / dt / 1e9, mb=byts / 1e6)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    torch.manual_seed(0)
    rows = []
    for threads in (1, 2):
        torch.set_num_threads(threads)
        for batch in (1, 8):
            for c, h, k, s in SHAPES:
                r = time_one(threads, batch, c, h, k, s)
                rows.append(r)
                print(f"th{threads} bs{batch} C{c:5d} H{h:4d} k{k} s{s}: {r['ms']:8.3f} ms  "
                      f"{r['gflops']:6.2f} GFLOP/s  {r['gbs']:6.2f} GB/s  {r['mb']:7.2f} MB", flush=True)
    if args.out:
        meta = {"torch": torch.__version__, "cpus": os.cpu_count(), "threads": [1, 2]}
        json.dump({"meta": meta, "rows": rows}, open(args.out, "w"), indent=1)


if __name__ == "__main__":
    main()
