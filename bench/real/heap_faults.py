"""Where PyTorch's page faults on the CPU come from: glibc malloc's main arena, replayed.

For each model: the wall, user and system time and minor page faults per call (`getrusage` over 5 calls after 3
warm-ups) with glibc's defaults, and again with the heap never trimmed and nothing mmapped
(`MALLOC_TRIM_THRESHOLD_` = 100 GB, `MALLOC_MMAP_MAX_` = 0: every page is faulted once and reused); then one
call's tensor allocations as `torch.profiler` records them (address, bytes, in order) replayed through a model
of glibc's main arena, which predicts the pages faulted per call in the steady state.

    .venv/bin/python heap_faults.py mobilenet_v2:8 resnet50:1 efficientnet_b0:4 minilm:2 [--threads 1]
    .venv/bin/python heap_faults.py --together resnet50:1 mobilenet_v2:8 efficientnet_b0:4 --threads 2

`--together`: the models run one after another in one process (8 rounds, median of the last 6 per model)
against each in a process of its own, with glibc's defaults and with the heap never trimmed: in one process
the arena's thresholds are the largest any of the models raised them to.

Models: `name:batch`, a torchvision constructor name or `minilm` (`op_profile.build`, random weights, nothing
downloaded). Each measurement runs in a fresh process (the arena's state is the process's history).

The replayed rules (glibc 2.26+ `malloc.c`): a request at or above the mmap threshold is mmapped and faulted
whole on every call; freeing an mmapped chunk above the threshold (up to 32 MiB) raises the threshold to its
size and the trim threshold to twice that; smaller requests are carved best-fit from the free chunks or from
the top of the heap, which grows by the request plus a 128 KiB pad; a freed chunk merges with free neighbours,
and when the top chunk reaches the trim threshold the heap is trimmed back to the pad, so the next call
faults those pages in again. Small allocations (tensor headers, Python objects) are not replayed.
"""
import argparse, bisect, json, os, subprocess, sys, tempfile

PAGE = 4096            # x86-64 base page
DYN_MAX = 32 << 20     # malloc.c DEFAULT_MMAP_THRESHOLD_MAX on 64-bit: the dynamic threshold's ceiling
TOP_PAD = 128 << 10    # malloc.c DEFAULT_TOP_PAD: what the heap grows by beyond a request, and keeps when trimmed
# Per-chunk overhead: malloc.c's request2size adds SIZE_SZ (8 on 64-bit) and rounds to MALLOC_ALIGNMENT (16);
# 16 is taken here (the replay in results/heap-faults-pytorch-dev-vm-s18.txt used it; for tensors of kilobytes
# and more the difference is one alignment step).
CHUNK_HEADER = 16
ALIGN = 16             # malloc.c MALLOC_ALIGNMENT on x86-64
INITIAL_THRESHOLD = 128 << 10  # malloc.c DEFAULT_MMAP_THRESHOLD_MIN and DEFAULT_TRIM_THRESHOLD
MIN_SPLIT = 32         # malloc.c MINSIZE on 64-bit: a smaller remainder stays with the chunk
# The heap kept: trimming off (a 100 GiB threshold) and nothing mmapped. run.py measures PyTorch with it by default.
KEPT_HEAP = {"MALLOC_TRIM_THRESHOLD_": str(100 << 30), "MALLOC_MMAP_MAX_": "0"}


class MainArena:
    """The main arena's large chunks: address-ordered free list, top chunk, brk, dynamic thresholds."""

    def __init__(self):
        self.mmap_threshold = self.trim_threshold = INITIAL_THRESHOLD
        self.free = []          # (address, size), sorted
        self.top = self.brk = 0
        self.resident_end = 0   # pages below have been faulted in and not trimmed since
        self.faults = 0

    def _touch(self, start, end):
        if end > self.resident_end:
            self.faults += (end - max(start, self.resident_end) + PAGE - 1) // PAGE
            self.resident_end = end

    def malloc(self, request):
        size = (request + CHUNK_HEADER + ALIGN - 1) // ALIGN * ALIGN
        if size >= self.mmap_threshold:
            self.faults += (size + PAGE - 1) // PAGE
            return ("mmap", size)
        fits = [i for i, (_, s) in enumerate(self.free) if s >= size]
        if fits:
            i = min(fits, key=lambda i: self.free[i][1])
            addr, s = self.free.pop(i)
            if s - size >= MIN_SPLIT:
                bisect.insort(self.free, (addr + size, s - size))
        else:
            addr, self.top = self.top, self.top + size
            if self.top > self.brk:
                self.brk = (self.top + TOP_PAD + PAGE - 1) // PAGE * PAGE
        self._touch(addr, addr + size)
        return ("heap", addr, size)

    def release(self, chunk):
        if chunk[0] == "mmap":
            size = chunk[1]
            if self.mmap_threshold < size <= DYN_MAX:
                self.mmap_threshold, self.trim_threshold = size, 2 * size
            return
        _, addr, size = chunk
        i = bisect.bisect_left(self.free, (addr, 0))
        if i > 0 and sum(self.free[i - 1]) == addr:
            addr, size = self.free[i - 1][0], self.free[i - 1][1] + size
            self.free.pop(i - 1)
            i -= 1
        if i < len(self.free) and self.free[i][0] == addr + size:
            size += self.free.pop(i)[1]
        if addr + size != self.top:
            bisect.insort(self.free, (addr, size))
            return
        self.top = addr
        if self.brk - self.top >= self.trim_threshold:
            new_brk = (self.top + TOP_PAD + PAGE - 1) // PAGE * PAGE
            if new_brk < self.brk:
                self.brk = new_brk
                self.resident_end = min(self.resident_end, new_brk)


def replay(trace, calls=4):
    """Pages faulted per call, call after call (the last is the steady state)."""
    arena, live, per_call = MainArena(), {}, []
    for _ in range(calls):
        before = arena.faults
        for addr, nbytes in trace:
            if nbytes > 0:
                live[addr] = arena.malloc(nbytes)
            elif addr in live:
                arena.release(live.pop(addr))
        per_call.append(arena.faults - before)
    return per_call


def child(specs, threads, mode, out):
    """Runs in a fresh process: `measure` (getrusage per call), `trace` (one call's allocations) or
    `rounds` (the models one after another, median ms per call of each)."""
    import statistics, time
    import torch
    from op_profile import build
    torch.manual_seed(0)
    torch.set_num_threads(threads)
    runs = [build(name, int(batch)) for name, batch in (s.split(":") for s in specs)]
    if mode == "rounds":
        times = [[] for _ in runs]
        with torch.inference_mode():
            for _ in range(8):
                for run, t in zip(runs, times):
                    t0 = time.perf_counter()
                    run()
                    t.append((time.perf_counter() - t0) * 1e3)
        json.dump([statistics.median(t[2:]) for t in times], open(out, "w"))
        return
    run = runs[0]
    if mode == "measure":
        from faults import rusage_per_call
        json.dump(rusage_per_call(run, 5), open(out, "w"))
        return
    from torch.profiler import ProfilerActivity, profile
    with torch.inference_mode():
        for _ in range(3):
            run()
        with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
            run()
    path = out + ".chrome.json"
    prof.export_chrome_trace(path)
    events = [e for e in json.load(open(path))["traceEvents"] if e.get("name") == "[memory]"]
    os.remove(path)
    events.sort(key=lambda e: e["ts"])
    json.dump([(e["args"]["Addr"], e["args"]["Bytes"]) for e in events], open(out, "w"))


def in_child(specs, threads, mode, env=None):
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        out = f.name
    cmd = [sys.executable, __file__, "--child", mode, *specs, "--threads", str(threads), "--out", out]
    subprocess.run(cmd, check=True, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, cwd=os.path.dirname(os.path.abspath(__file__)))
    result = json.load(open(out))
    os.remove(out)
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("models", nargs="+", help="name:batch")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--together", action="store_true", help="one process against one per model")
    ap.add_argument("--child", choices=["measure", "trace", "rounds"])
    ap.add_argument("--out")
    a = ap.parse_args()
    if a.child:
        child(a.models, a.threads, a.child, a.out)
        return
    if a.together:
        print(f"{a.threads} thread(s); median ms per call; {', '.join(a.models)} one after another")
        for label, env in (("glibc defaults", None), ("never trimmed", KEPT_HEAP)):
            one = in_child(a.models, a.threads, "rounds", env)
            apart = [in_child([m], a.threads, "rounds", env)[0] for m in a.models]
            print(f"{label:15s} one process: {' '.join(f'{t:7.1f}' for t in one)}  sum {sum(one):7.1f}   "
                  f"apart: {' '.join(f'{t:7.1f}' for t in apart)}  sum {sum(apart):7.1f}", flush=True)
        return
    print(f"{a.threads} thread(s); faults per call; wall, user and sys ms per call")
    print(f"{'model':22s} {'default: wall   user    sys  faults':>36s} {'never trimmed: wall  faults':>28s}"
          f" {'replayed faults':>16s} {'fault share':>11s}")
    for spec in a.models:
        name, batch = spec.split(":")
        d = in_child([spec], a.threads, "measure")
        f = in_child([spec], a.threads, "measure", KEPT_HEAP)
        trace = in_child([spec], a.threads, "trace")
        steady = replay(trace)[-1]
        share = (d["wall_ms"] - f["wall_ms"]) / d["wall_ms"]
        print(f"{name + ' b' + batch:22s} {d['wall_ms']:13.1f} {d['user_ms']:6.1f} {d['sys_ms']:6.1f} "
              f"{d['faults']:7.0f} {f['wall_ms']:20.1f} {f['faults']:7.0f} {steady:16d} {share:10.0%}",
              flush=True)


if __name__ == "__main__":
    main()
