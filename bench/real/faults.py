"""User time, system time and minor page faults per call of PyTorch on the CPU (`getrusage` around repeated
calls after a warm-up): a whole torchvision model, or its depthwise convolutions alone.

    .venv/bin/python faults.py model mobilenet_v2 --batch 8 --threads 1
    .venv/bin/python faults.py depthwise --batch 8 --threads 1   # depthwise.py's shapes

Why: a MobileNet-v2 pass at batch 8 spends a third to a half of its wall time in the kernel (page faults of
buffers allocated afresh on every call), and how much varies with glibc's adaptive mmap threshold, i.e. with
what the process allocated before.
"""
import argparse
import resource
import time

import torch



def rusage_per_call(run, n):
    """Wall, user and system ms and minor page faults per call of `run`, over `n` calls after 3 untimed ones,
    under inference mode (`heap_faults.py` measures with it too)."""
    with torch.inference_mode():
        for _ in range(3):
            run()
        r0, t = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        for _ in range(n):
            run()
        wall, r1 = (time.perf_counter() - t) / n, resource.getrusage(resource.RUSAGE_SELF)
    return {"wall_ms": wall * 1e3, "user_ms": (r1.ru_utime - r0.ru_utime) / n * 1e3,
            "sys_ms": (r1.ru_stime - r0.ru_stime) / n * 1e3, "faults": (r1.ru_minflt - r0.ru_minflt) / n}


def per_call(run, n):
    r = rusage_per_call(run, n)
    return f"wall {r['wall_ms']:8.3f} ms, user {r['user_ms']:8.3f}, sys {r['sys_ms']:8.3f}, " \
           f"faults {r['faults']:7.0f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["model", "depthwise"])
    ap.add_argument("name", nargs="?", default="mobilenet_v2")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(a.threads)
    if a.what == "model":
        import torchvision
        model = getattr(torchvision.models, a.name)(weights=None).eval()
        x = torch.randn(a.batch, 3, 224, 224)
        print(f"{a.name} batch {a.batch}, {a.threads} thread(s): {per_call(lambda: model(x), 5)}")
        return
    # Imported here: a whole-model measurement allocates nothing for the depthwise shapes first (what a process
    # allocated before decides how often glibc's heap faults pages in again: `heap_faults.py`).
    from depthwise import SHAPES, conv_and_input
    for c, h, k, s in SHAPES:
        conv, x = conv_and_input(c, h, k, s, a.batch)
        print(f"depthwise C{c:4d} H{h:4d} k{k} s{s} batch {a.batch}: {per_call(lambda: conv(x), 20)}")


if __name__ == "__main__":
    main()
