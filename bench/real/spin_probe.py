"""How long a runtime's intra-op pool keeps spinning after a run returns, per worker thread.

Right after a run on N threads the caller sleeps; whatever CPU time the process burns while it sleeps is the
pool's workers spinning before they block. Measured with a tiny MatMul graph (ONNX Runtime) or a matmul
(PyTorch), so the run itself is short; the figure is the CPU time per worker thread (N − 1 workers: the caller
is the N-th thread) during the 400 ms after the run, median over repeats.

    .venv/bin/python spin_probe.py            # prints JSON
"""

from __future__ import annotations

import json
import os
import statistics
import time

WINDOW_S = 0.4
REPEATS = 15


def _cpu_s() -> float:
    return time.process_time()


def _spin_after(run, workers: int) -> dict:
    """CPU ms each worker burns in the WINDOW_S after `run()` returns, median and range over REPEATS."""
    for _ in range(3):
        run()
        time.sleep(WINDOW_S)
    samples = []
    for _ in range(REPEATS):
        run()
        before = _cpu_s()
        time.sleep(WINDOW_S)
        samples.append((_cpu_s() - before) * 1e3 / max(workers, 1))
    return {"medianMs": statistics.median(samples), "minMs": min(samples), "maxMs": max(samples),
            "windowMs": WINDOW_S * 1e3}


def onnxruntime_probe(threads: int) -> dict:
    import numpy as np
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper

    dim = 256
    w = helper.make_tensor("w", TensorProto.FLOAT, [dim, dim], np.full(dim * dim, 0.001, np.float32).tobytes(),
                           raw=True)
    nodes = [helper.make_node("MatMul", ["x" if i == 0 else f"y{i - 1}", "w"], [f"y{i}"]) for i in range(8)]
    graph = helper.make_graph(nodes, "chain", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [64, dim])],
                              [helper.make_tensor_value_info("y7", TensorProto.FLOAT, [64, dim])], [w])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    x = {"x": np.ones((64, dim), np.float32)}
    return {"runtime": "onnxruntime", "version": ort.__version__, "threads": threads,
            "spinAfterRun": _spin_after(lambda: sess.run(None, x), threads - 1)}


def pytorch_probe(threads: int) -> dict:
    import torch

    torch.set_num_threads(threads)
    a = torch.ones(64, 256)
    w = torch.full((256, 256), 0.001)

    def run():
        y = a
        for _ in range(8):
            y = y @ w
        return y

    return {"runtime": "pytorch", "version": torch.__version__, "threads": threads,
            "spinAfterRun": _spin_after(run, threads - 1)}


def main():
    threads = os.cpu_count() or 2
    print(json.dumps({"probes": [onnxruntime_probe(threads), pytorch_probe(threads)]}, indent=1))


if __name__ == "__main__":
    main()
