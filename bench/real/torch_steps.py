"""PyTorch's cached decode steps, timed one by one, for the catalog's generating models at batch 1 (GPT-2,
T5-small, Whisper-tiny, as `run.py` builds and runs them: random weights from their configs), with where one
generation's time goes by ATen operator (torch.profiler self time and calls). Compare a step with the
predictor's: `mmperf predict` of the model with `output_tokens` 1 and 9 on the same profile, the difference
over 8.

    .venv/bin/python torch_steps.py [--threads 1] [--steps 9] [--out results/torch-steps-NAME.txt]

Medians over 4 generations after 2 warm-ups, the first step of each left out (it follows the prefill).
"""
import argparse
import collections
import statistics
import time

import models

ENTRIES = [
    {"model_name": "gpt2", "batch_size": 1, "sequence_length": 64},
    {"model_name": "t5-small", "batch_size": 1, "sequence_length": 128},
    {"model_name": "whisper-tiny", "batch_size": 1},
]


def measure(raw: dict, steps: int) -> str:
    import torch
    from torch.profiler import ProfilerActivity, profile

    entry = models.resolve(dict(raw, output_tokens=steps))
    runner = models.TorchRunner(entry, 1)
    step_ms, runs = [], []
    decode = runner._decode

    def timed(out, step):
        def one(tok, past):
            t0 = time.perf_counter()
            out = step(tok, past)
            step_ms.append((time.perf_counter() - t0) * 1e3)
            return out
        return decode(out, one)

    runner._decode = timed
    kept = []
    for i in range(6):
        step_ms.clear()
        t0 = time.perf_counter()
        runner.run()
        runs.append((time.perf_counter() - t0) * 1e3)
        if i >= 2:
            kept.extend(step_ms[1:])
    with profile(activities=[ProfilerActivity.CPU]) as p:
        runner.run()
    self_ms, calls = collections.Counter(), collections.Counter()
    for e in p.key_averages():
        self_ms[e.key] += e.self_cpu_time_total / 1e3
        calls[e.key] += e.count
    top = "; ".join(f"{k} {v:.1f} ms / {calls[k]}" for k, v in self_ms.most_common(6))
    return (f"{entry.name}: generation {statistics.median(runs[2:]):.1f} ms ({steps - 1} decode steps), step median "
            f"{statistics.median(kept):.2f} ms (fastest {min(kept):.2f}); one generation by operator (self ms / "
            f"calls, profiled): {top}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=9, help="output_tokens: the prefill's token and steps - 1 more")
    ap.add_argument("--out", help="also write the lines here")
    args = ap.parse_args()
    import torch

    models.quiet_libraries()
    torch.set_num_threads(args.threads)
    lines = [f"torch {torch.__version__}, {args.threads} thread(s)"]
    print(lines[0], flush=True)
    for raw in ENTRIES:
        lines.append(measure(raw, args.steps))
        print(lines[-1], flush=True)
    if args.out:
        open(args.out, "w").write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
