"""ONNX Runtime's own profiler over one of `run.py`'s exported graphs: time per operator type per run, and
the number of nodes of each type, on a given number of threads (the graph's `inputs.npz` feeds it).

    .venv/bin/python ort_profile.py .cache/onnx/gpt2-b1-s128 prefill 1

Session 16 (Zen 5 VM, onnxruntime 1.32, one thread): GPT-2's prefill graph at prompt 128 ran 160.6 ms, of
which 48 `Gemm` nodes (the layers' projections) 102.8 ms and 13 `MatMul` nodes 48.7 ms: the 12 attention
products and the language-model head over all 128 positions (9.9 GFLOP).
"""
import collections
import json
import os
import sys
import tempfile
import time

import numpy as np
import onnxruntime as ort

d = sys.argv[1]; graph = sys.argv[2]; threads = int(sys.argv[3])
so = ort.SessionOptions(); so.intra_op_num_threads = threads; so.enable_profiling = True
so.profile_file_prefix = os.path.join(tempfile.gettempdir(), "ort_profile")
s = ort.InferenceSession(f"{d}/{graph}.onnx", so, providers=["CPUExecutionProvider"])
inp = np.load(f"{d}/inputs.npz")
print([ (i.name, i.shape) for i in s.get_inputs()], list(inp.keys()))
feeds = {}
for i in s.get_inputs():
    if i.name in inp: feeds[i.name] = inp[i.name]
if len(feeds) < len(s.get_inputs()):
    print("missing", [i.name for i in s.get_inputs() if i.name not in feeds]); sys.exit()
for _ in range(3): s.run(None, feeds)
t=time.perf_counter()
for _ in range(5): s.run(None, feeds)
print("wall ms", (time.perf_counter()-t)/5*1e3)
f = s.end_profiling()
ev = json.load(open(f))
agg = collections.defaultdict(lambda: [0, 0.0])
runs = 0
for e in ev:
    if e.get("cat") == "Node" and e["name"].endswith("_kernel_time"):
        op = e["args"]["op_name"]; agg[op][0] += 1; agg[op][1] += e["dur"]
    if e.get("cat") == "Session" and e["name"] == "model_run": runs += 1
print("runs", runs)
tot = 0
for op, (n, us) in sorted(agg.items(), key=lambda kv: -kv[1][1]):
    print(f"  {op:28s} nodes/run {n/runs:6.0f} ms/run {us/runs/1e3:8.2f}"); tot += us/runs/1e3
print("  sum", tot)
os.remove(f)
