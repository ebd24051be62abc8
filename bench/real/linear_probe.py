"""PyTorch's linear layers (`torch.nn.functional.linear`: MKL sgemm with the bias) on ViT-B/16's and BERT-base's shapes and
calibrate's large one, GFLOP/s on 1 and 2 threads, twice in turn (medians of 30 calls after 5 untimed ones): to set
beside the tuned GEMM rates `mmperf calibrate` reads in the same minutes.

    MALLOC_TRIM_THRESHOLD_=107374182400 MALLOC_MMAP_MAX_=0 .venv/bin/python linear_probe.py
"""
import time, torch, statistics
import torch.nn.functional as F
shapes = [(197, 768, 768), (197, 768, 3072), (197, 3072, 768), (128, 768, 768), (128, 768, 3072), (512, 768, 768)]
with torch.inference_mode():
    for th in (1, 2, 1, 2):
        torch.set_num_threads(th)
        out = []
        for m, k, n in shapes:
            x = torch.randn(m, k); w = torch.randn(n, k); b = torch.randn(n)
            for _ in range(5): F.linear(x, w, b)
            ts = []
            for _ in range(30):
                t = time.perf_counter(); F.linear(x, w, b); ts.append(time.perf_counter() - t)
            s = statistics.median(ts)
            out.append(f"{m}x{k}x{n} {2*m*k*n/s/1e9:6.1f}")
        print(f"{th}T GFLOP/s: " + " | ".join(out), flush=True)
