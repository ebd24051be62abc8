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


def worker(name, secs, q, start):
    if os.path.isdir(name):
        run = onnx_runner(name)
        for _ in range(3):
            run()
        start.wait()
        t0, n = time.perf_counter(), 0
        while time.perf_counter() - t0 < secs:
            run()
            n += 1
        q.put(n / (time.perf_counter() - t0))
        return
    import torch
    torch.set_num_threads(1)
    if name == "minilm":
        from transformers import BertConfig, BertModel
        cfg = BertConfig(hidden_size=384, num_hidden_layers=6, num_attention_heads=12, intermediate_size=1536)
        model = BertModel(cfg).float().eval()
        ids = torch.randint(0, cfg.vocab_size, (1, 128))
        run = lambda: model(input_ids=ids)
    else:
        import torchvision
        model = getattr(torchvision.models, name)(weights=None).float().eval()
        x = torch.randn(1, 3, 224, 224)
        run = lambda: model(x)
    with torch.no_grad():
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
