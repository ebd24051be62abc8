"""What time-slicing costs one-thread PyTorch processes on this CPU: the same model in `cores` processes (one
per core) against `2 × cores` processes (two per core, the scheduler slicing between them), one thread each,
barrier-started, each running the model back to back for `--seconds`; the summed throughput of both, and the
share the second loses. With no cost to a switch the two totals would be equal.

    .venv/bin/python oversubscribe.py mobilenet_v2 minilm resnet50 [--seconds 8] [--reps 2]
    .venv/bin/python oversubscribe.py .cache/onnx/mobilenet-v2-b1-i224 .cache/onnx/resnet-50-b1-i224

Models: torchvision constructor names or `minilm` (all-MiniLM-L6-v2's config, sequence 128), batch 1, random
weights, run by PyTorch; or one of `run.py`'s exported graphs (a directory with `main.onnx` and `inputs.npz`),
run by ONNX Runtime (one intra-op and one inter-op thread). Nothing is downloaded.
"""
import argparse, multiprocessing as mp, os, time


def onnx_runner(path):
    import numpy as np
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    session = ort.InferenceSession(os.path.join(path, "main.onnx"), so, providers=["CPUExecutionProvider"])
    inputs = np.load(os.path.join(path, "inputs.npz"))
    names = {i.name for i in session.get_inputs()}
    feed = {k: inputs[k] for k in inputs.files if k in names}
    return lambda: session.run(None, feed)


def torch_runner(name):
    """One thread, batch 1: `op_profile.build`'s model, run under inference mode as `op_profile` runs it."""
    import torch
    from op_profile import build
    torch.set_num_threads(1)
    run = build(name, 1)

    def inference():
        with torch.inference_mode():
            return run()
    return inference


def worker(name, secs, q, start):
    run = onnx_runner(name) if os.path.isdir(name) else torch_runner(name)
    for _ in range(3):
        run()
    start.wait()
    t0, n = time.perf_counter(), 0
    while time.perf_counter() - t0 < secs:
        run()
        n += 1
    q.put(n / (time.perf_counter() - t0))


def total(name, procs, secs):
    q, start = mp.Queue(), mp.Barrier(procs)
    ps = [mp.Process(target=worker, args=(name, secs, q, start)) for _ in range(procs)]
    for p in ps:
        p.start()
    rates = [q.get() for _ in ps]
    for p in ps:
        p.join()
    return sum(rates)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("models", nargs="+")
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--reps", type=int, default=2)
    a = ap.parse_args()
    cores = os.cpu_count() or 1
    for name in a.models:
        cells = []
        for _ in range(a.reps):
            one, two = total(name, cores, a.seconds), total(name, 2 * cores, a.seconds)
            cells.append(f"{cores} procs {one:.1f}/s, {2 * cores} procs {two:.1f}/s, lost {1 - two / one:+.1%}")
        print(f"{os.path.basename(name.rstrip('/'))}: " + "; ".join(cells), flush=True)


if __name__ == "__main__":
    main()
