"""PyTorch's CPU depthwise convolution (groups = channels, NCHW fp32, eval, inference mode) alone, per call, at
the depthwise shapes of mobilenet-v2 and efficientnet-b0 (channels, side, kernel, stride), batch 1 and 8, on 1
and 2 threads: milliseconds, GFLOP/s and GB/s (input + output bytes once).

    .venv/bin/python depthwise.py [--out results/depthwise-NAME.json]

Why: PyTorch's mobilenet-v2 and efficientnet-b0 run 20-50 % slower than predicted (issue 11's cnn-trio and
four-small scenarios), and torch.profiler puts most of the gap in `aten::mkldnn_convolution` on the depthwise
layers, which the model costs as memory-bound.
"""
import argparse, json, time

import torch
ap = argparse.ArgumentParser()
ap.add_argument("--out", default=None)
args = ap.parse_args()
torch.manual_seed(0)
rows=[]
shapes=[ # (C, H, k, stride) from mobilenet-v2 / efficientnet-b0 stages
 (32,112,3,1),(96,112,3,2),(144,56,3,1),(144,56,3,2),(192,28,3,1),(192,28,3,2),(384,14,3,1),(576,14,3,1),(576,14,3,2),(960,7,3,1),
 (144,56,5,2),(240,28,5,1),(480,14,5,1),(672,14,5,2),(1152,7,5,1)]
for th in (1,2):
    torch.set_num_threads(th)
    for bs in (1,8):
        for C,H,k,s in shapes:
            conv=torch.nn.Conv2d(C,C,k,s,k//2,groups=C,bias=False).eval()
            x=torch.randn(bs,C,H,H)
            with torch.inference_mode():
                for _ in range(3): y=conv(x)
                n=max(5,int(2e7/(bs*C*H*H)))
                t=time.perf_counter()
                for _ in range(n): y=conv(x)
                dt=(time.perf_counter()-t)/n
            Ho=y.shape[2]
            flops=2*bs*C*Ho*Ho*k*k; byts=4*(bs*C*H*H+bs*C*Ho*Ho)
            rows.append(dict(th=th,bs=bs,C=C,H=H,k=k,s=s,ms=dt*1e3,gflops=flops/dt/1e9,gbs=byts/dt/1e9,mb=byts/1e6))
            print(f"th{th} bs{bs} C{C:5d} H{H:4d} k{k} s{s}: {dt*1e3:8.3f} ms  {flops/dt/1e9:6.2f} GFLOP/s  {byts/dt/1e9:6.2f} GB/s  {byts/1e6:7.2f} MB", flush=True)
if args.out:
    meta = {"torch": torch.__version__, "cpus": torch.get_num_threads()}
    json.dump({"meta": meta, "rows": rows}, open(args.out, "w"), indent=1)
