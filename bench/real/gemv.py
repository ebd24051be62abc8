"""Matrix-vector products streamed from memory, as a decode step runs them, in ONNX Runtime and PyTorch.

A chain of batch-1 MatMuls alternating 768x3072 and 3072x768 (GPT-2's MLP shapes, random fp32 weights), 512 MB
of weights in all: far above any last-level cache, so every product reads its weights from memory, as a
decoder's step reads a model's. Each runtime runs it on 1..N threads; the figure is GB/s of weights read per
second. With --profile (a `mmperf calibrate --out` profile taken just before), each figure is also given as a
share of the calibrated streaming read on the same thread count (`per_unit_bandwidth_gbps` on one thread,
`memory_bandwidth_gbps` on all): the runtime's `gemv_bandwidth_efficiency`.

    .venv/bin/python gemv.py [--profile PROFILE.json] [--out results/gemv-NAME.json] [--layouts]

PyTorch's products read the weights as `x @ W` with W stored in x out (GPT-2's Conv1D layout); with --layouts
also through `F.linear` with W stored out x in (nn.Linear's layout: BERT, T5, Whisper, GPT-2's head), rows
named `pytorch ... F.linear`.
"""

import argparse
import json
import os

import numpy as np

from kernels import median_s

D, FF = 768, 3072
LAYERS = 28  # 2 x 28 matrices of 9.4 MB: 528 MB
REPEATS = 15


def onnx_chain(weights):
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    inits, nodes, prev = [], [], "x"
    for i, w in enumerate(weights):
        inits.append(numpy_helper.from_array(w, f"w{i}"))
        nodes.append(helper.make_node("MatMul", [prev, f"w{i}"], [f"y{i}"]))
        prev = f"y{i}"
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, D])
    y = helper.make_tensor_value_info(prev, TensorProto.FLOAT, [1, weights[-1].shape[1]])
    graph = helper.make_graph(nodes, "gemv-chain", [x], [y], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    return model.SerializeToString()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profile", help="calibrated profile JSON to express the rates against")
    ap.add_argument("--out", help="write the figures as JSON here")
    ap.add_argument("--layouts", action="store_true",
                    help="also time PyTorch with the weights stored out x in (F.linear, as nn.Linear keeps them; "
                         "the default chain is x @ W with W in x out, as GPT-2's Conv1D keeps them)")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    weights = []
    for _ in range(LAYERS):
        weights.append((rng.random((D, FF), dtype=np.float32) - 0.5) * 0.05)
        weights.append((rng.random((FF, D), dtype=np.float32) - 0.5) * 0.05)
    nbytes = sum(w.nbytes for w in weights)
    x = rng.random((1, D), dtype=np.float32)
    cores = os.cpu_count() or 1
    profile = json.load(open(args.profile)) if args.profile else None
    rows = []

    import onnxruntime as ort

    model = onnx_chain(weights)
    for t in range(1, cores + 1):
        so = ort.SessionOptions()
        so.intra_op_num_threads = t
        so.inter_op_num_threads = 1
        sess = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
        rows.append(("onnxruntime " + ort.__version__, t, median_s(lambda: sess.run(None, {"x": x}), REPEATS)))
        del sess

    import torch

    tw = [torch.from_numpy(w) for w in weights]
    # The same weights stored out x in, as nn.Linear keeps them (GPT-2's Conv1D keeps in x out, as `tw`).
    tw_linear = [w.t().contiguous() for w in tw] if args.layouts else []
    tx = torch.from_numpy(x)

    def chain():
        y = tx
        with torch.no_grad():
            for w in tw:
                y = y @ w
        return y

    def linear_chain():
        y = tx
        with torch.no_grad():
            for w in tw_linear:
                y = torch.nn.functional.linear(y, w)
        return y

    for t in range(1, cores + 1):
        torch.set_num_threads(t)
        rows.append(("pytorch " + torch.__version__, t, median_s(chain, REPEATS)))
    if args.layouts:
        for t in range(1, cores + 1):
            torch.set_num_threads(t)
            rows.append(("pytorch " + torch.__version__ + " F.linear", t, median_s(linear_chain, REPEATS)))

    out = []
    for runtime, t, secs in rows:
        gbps = nbytes / secs / 1e9
        row = {"runtime": runtime, "threads": t, "ms": secs * 1e3, "gbps": gbps}
        line = f"{runtime:<22} {t} thread(s): {secs * 1e3:7.2f} ms, {gbps:5.1f} GB/s"
        if profile:
            ref = profile["per_unit_bandwidth_gbps"] if t == 1 else profile["memory_bandwidth_gbps"]
            if t in (1, cores):
                row["share_of_read"] = gbps / ref
                line += f", {gbps / ref:.2f} of the calibrated read ({ref:.1f} GB/s)"
        print(line, flush=True)
        out.append(row)
    if args.out:
        json.dump({"weights_mb": nbytes / 1e6, "cores": cores, "rows": out}, open(args.out, "w"), indent=1)


if __name__ == "__main__":
    main()
