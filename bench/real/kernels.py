"""Single PyTorch kernels on this CPU, to see what a runtime rule rests on (not a scenario run).

Two probes, one thread unless `--threads` says otherwise, medians of `--reps` calls after two warm-up calls:

* `fresh-pages`: ReLU6 out of place over tensors of 8-64 MiB against the same ReLU6 into a preallocated output.
  Above 32 MiB (glibc's largest mmap threshold) every call gets its output as fresh pages, which the first
  write faults in: the difference per 4 KiB page is what `mmperf calibrate` measures as `page_fault_us` and
  the PyTorch runtime profile's `fresh_pages_above_mib` (32) applies.
* `depthwise`: 3x3 depthwise convolutions at MobileNet-v2 / EfficientNet-B0 shapes, batch 1: the effective
  bandwidth (input + output bytes per second) and arithmetic rate per shape. Run first in a fresh process
  (`kernels.py depthwise`), the 112x112 outputs of 1.6-4.8 MB take 2.5-9 ms instead of 0.3-0.8: glibc's
  mmap threshold starts at 128 KiB and rises only to the size of a mapped block once it is freed, and the
  heap top is trimmed above twice that, so below 32 MiB whether an output faults depends on what the process
  freed before (after `fresh-pages`, as in `all`, they do not). Only the part above 32 MiB is the same in
  every process; that is the part the predictor models.

    .venv/bin/python kernels.py [fresh-pages|depthwise|all] [--threads N] [--reps R]   # JSON on stdout
"""

from __future__ import annotations

import argparse
import json
import statistics
import time


def median_s(f, reps: int) -> float:
    f()
    f()
    samples = []
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def fresh_pages(reps: int) -> list[dict]:
    import torch

    act = torch.nn.ReLU6()
    rows = []
    for mib in [8, 16, 24, 30, 31.5, 32.5, 40, 64]:
        x = torch.randn(int(mib * 2**20 / 4))
        out = torch.empty_like(x)
        fresh = median_s(lambda: act(x), reps)
        into = median_s(lambda: torch.clamp(x, 0, 6, out=out), reps)
        pages = mib * 2**20 / 4096
        rows.append({"mib": mib, "fresh_output_ms": fresh * 1e3, "preallocated_ms": into * 1e3,
                     "extra_us_per_page": (fresh - into) * 1e6 / pages})
    return rows


def depthwise(reps: int) -> list[dict]:
    import torch

    rows = []
    for channels, size, stride in [(32, 112, 1), (16, 112, 1), (96, 112, 2), (96, 112, 1), (96, 96, 1),
                                   (96, 56, 1), (144, 56, 2), (192, 28, 1), (576, 14, 1), (960, 7, 1)]:
        x = torch.randn(1, channels, size, size)
        conv = torch.nn.Conv2d(channels, channels, 3, stride, 1, groups=channels, bias=False).eval()
        with torch.no_grad():
            s = median_s(lambda: conv(x), reps)
        out_elems = channels * (size // stride) ** 2
        moved = 4 * (channels * size * size + out_elems)
        rows.append({"channels": channels, "size": size, "stride": stride, "ms": s * 1e3,
                     "in_plus_out_gb_per_s": moved / s / 1e9, "gflop_per_s": 18 * out_elems / s / 1e9})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("probe", nargs="?", default="all", choices=["fresh-pages", "depthwise", "all"])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--reps", type=int, default=9)
    a = ap.parse_args()
    import torch

    torch.set_num_threads(a.threads)
    out = {"torch": torch.__version__, "threads": a.threads}
    if a.probe in ("fresh-pages", "all"):
        out["fresh_pages"] = fresh_pages(a.reps)
    if a.probe in ("depthwise", "all"):
        out["depthwise"] = depthwise(a.reps)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
