"""Where PyTorch's 1×1 convolutions spend their time on the CPU when oneDNN runs them (two threads, or batch 16
and up: `ConvParams::use_mkldnn`): each layer of a model as the model runs it (NCHW tensors, which oneDNN
reorders to its blocked layout and back around the call), the same convolution on channels-last tensors (no
activation reorder), and the two reorders alone (`Tensor.to_mkldnn()` of the input, `to_dense()` of an output
of the layer's shape), summed over the model's 1×1 layers.

    .venv/bin/python pointwise.py mobilenet_v2 --batch 8 [--threads 2]

Models: torchvision constructor names (random weights; nothing is downloaded). Medians of interleaved
repetitions, after warm-up; also prints the activation bytes (input plus output) the layers move.
"""
import argparse, time

import numpy as np
import torch


def pointwise_layers(name, batch):
    import torchvision
    model = getattr(torchvision.models, name)(weights=None).float().eval()
    shapes = []

    def hook(mod, inp, out):
        if mod.kernel_size == (1, 1) and mod.groups == 1:
            shapes.append((tuple(inp[0].shape), mod.out_channels, mod.stride))
    for m in model.modules():
        if isinstance(m, torch.nn.Conv2d):
            m.register_forward_hook(hook)
    with torch.inference_mode():
        model(torch.randn(batch, 3, 224, 224))
    return shapes


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--layers", action="store_true", help="also print every layer")
    a = ap.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(a.threads)
    layers = pointwise_layers(a.model, a.batch)
    cases = []
    for (shape, o, stride) in layers:
        x = torch.randn(*shape)
        w = torch.randn(o, shape[1], 1, 1)
        xc, wc = x.contiguous(memory_format=torch.channels_last), w.contiguous(memory_format=torch.channels_last)
        y = torch.nn.functional.conv2d(x, w, stride=stride)
        ym = y.to_mkldnn()
        cases.append(dict(
            nchw=lambda x=x, w=w, s=stride: torch.nn.functional.conv2d(x, w, stride=s),
            nhwc=lambda x=xc, w=wc, s=stride: torch.nn.functional.conv2d(x, w, stride=s),
            reorder_in=lambda x=x: x.to_mkldnn(),
            reorder_out=lambda ym=ym: ym.to_dense(),
            shape=f"{shape[1]:4d}->{o:4d} @{shape[2]:3d}" + (f" /{stride[0]}" if stride[0] > 1 else ""),
            bytes=4 * (x.numel() + y.numel()),
            flops=2 * y.numel() * shape[1]))
    kinds = ("nchw", "nhwc", "reorder_in", "reorder_out")
    times = {k: [[] for _ in cases] for k in kinds}
    with torch.inference_mode():
        for rep in range(a.reps + 3):
            for i, c in enumerate(cases):
                for k in kinds:
                    t = time.perf_counter()
                    c[k]()
                    dt = time.perf_counter() - t
                    if rep >= 3:
                        times[k][i].append(dt)
    tot = {k: sum(float(np.median(v)) for v in times[k]) * 1e3 for k in kinds}
    mb = sum(c["bytes"] for c in cases) / 1e6
    gf = sum(c["flops"] for c in cases) / 1e9
    print(f"{a.model} batch {a.batch}, {a.threads} thread(s): {len(cases)} 1x1 convolutions, {gf:.2f} GFLOP, "
          f"{mb:.1f} MB of activations in+out")
    for k in kinds:
        print(f"  {k:12s} {tot[k]:8.2f} ms")
    if a.layers:
        for i, c in enumerate(cases):
            t = {k: float(np.median(times[k][i])) for k in kinds}
            print(f"    {c['shape']}: nchw {t['nchw'] * 1e6:7.1f} us ({c['flops'] / t['nchw'] / 1e9:5.0f} GFLOP/s, "
                  f"{c['bytes'] / t['nchw'] / 1e9:5.1f} GB/s)  nhwc {t['nhwc'] * 1e6:7.1f} us  reorders "
                  f"{(t['reorder_in'] + t['reorder_out']) * 1e6:6.1f} us")
    extra = tot["nchw"] - tot["nhwc"]
    print(f"  nchw - nhwc {extra:8.2f} ms = {mb / max(extra, 1e-9):.1f} GB/s over the activations; reorders alone "
          f"{mb / (tot['reorder_in'] + tot['reorder_out']):.1f} GB/s; nhwc {gf / tot['nhwc'] * 1e3:.0f} GFLOP/s")


if __name__ == "__main__":
    main()
