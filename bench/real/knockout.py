"""What each kind of kernel costs in a torchvision CNN, without a profiler: the model's wall time per call,
then again with one kind of layer knocked out (replaced by a layer that does no work), on 1 and 2 threads. The
difference is what that kind costs in the model, its host dispatch included (torch.profiler's self times add
the profiler's own cost to every operator: compare `op_profile.py`).

    MALLOC_TRIM_THRESHOLD_=107374182400 MALLOC_MMAP_MAX_=0 .venv/bin/python knockout.py mobilenet_v2:8 resnet50:1

Kinds: `bn` (batch norms: identity), `act` (ReLU / ReLU6 / SiLU: identity), `dw` (depthwise convolutions: the
input itself, subsampled by the stride). Each variant is timed in turn, `--passes` times round-robin, and the
median of the passes is reported. Random weights; nothing is downloaded.
"""
import argparse, statistics, time

import torch
import torchvision


class Subsample(torch.nn.Module):
    """What a depthwise convolution at `stride` leaves when its work is knocked out: its input, subsampled."""

    def __init__(self, stride):
        super().__init__()
        self.stride = stride

    def forward(self, x):
        return x if self.stride == 1 else x[:, :, :: self.stride, :: self.stride].contiguous()


def knock(model, kind):
    """Replaces every layer of `kind` in `model` (in place); returns how many."""
    n = 0
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            new = None
            if kind == "bn" and isinstance(child, torch.nn.BatchNorm2d):
                new = torch.nn.Identity()
            elif kind == "act" and isinstance(child, (torch.nn.ReLU, torch.nn.ReLU6, torch.nn.SiLU)):
                new = torch.nn.Identity()
            elif (kind == "dw" and isinstance(child, torch.nn.Conv2d) and child.groups > 1
                  and child.groups == child.in_channels == child.out_channels):
                new = Subsample(child.stride[0])
            if new is not None:
                setattr(parent, name, new)
                n += 1
    return n


def timed(model, x, calls):
    with torch.inference_mode():
        model(x)
        t = time.perf_counter()
        for _ in range(calls):
            model(x)
        return (time.perf_counter() - t) / calls * 1e3


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("models", nargs="+", help="torchvision constructor:batch, e.g. mobilenet_v2:8")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--passes", type=int, default=5)
    ap.add_argument("--calls", type=int, default=0, help="calls per timing (default: about 0.5 s worth)")
    a = ap.parse_args()
    for spec in a.models:
        name, batch = spec.split(":")
        torch.manual_seed(0)
        x = torch.randn(int(batch), 3, 224, 224)
        variants = {"full": getattr(torchvision.models, name)(weights=None).eval()}
        counts = {}
        for kind in ("bn", "act", "dw"):
            m = getattr(torchvision.models, name)(weights=None).eval()
            counts[kind] = knock(m, kind)
            if counts[kind]:
                variants[kind] = m
        for threads in (int(t) for t in a.threads.split(",")):
            torch.set_num_threads(threads)
            for m in variants.values():
                timed(m, x, 3)
            calls = a.calls or max(3, int(500 / timed(variants["full"], x, 3)))
            samples = {k: [] for k in variants}
            for _ in range(a.passes):
                for k, m in variants.items():
                    samples[k].append(timed(m, x, calls))
            med = {k: statistics.median(v) for k, v in samples.items()}
            parts = ", ".join(f"{k} {med['full'] - med[k]:.2f} ms ({counts[k]} layers)" for k in variants if k != "full")
            print(f"{name} batch {batch}, {threads} thread(s): full {med['full']:.2f} ms "
                  f"(passes {min(samples['full']):.2f}-{max(samples['full']):.2f}); knocked out: {parts}", flush=True)


if __name__ == "__main__":
    main()
