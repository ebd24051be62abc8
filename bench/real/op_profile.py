"""Where a PyTorch model's time goes on the CPU: torch.profiler's self time per ATen operator (convolutions
split into depthwise `dw`, pointwise `pw` and other `conv` by their weight shape), on 1 and 2 threads, beside
the model's wall time without the profiler (the profiler adds its own cost: compare shares, not sums).

    .venv/bin/python op_profile.py mobilenet_v2 --batch 8
    .venv/bin/python op_profile.py minilm --batch 1

Models: any torchvision constructor name (random weights), `minilm` (all-MiniLM-L6-v2's config, sequence
128) or `bert` (bert-base-uncased's config, sequence 128). Nothing is downloaded.
"""
import argparse, collections, time

import torch

CONVS = ("aten::mkldnn_convolution", "aten::_slow_conv2d_forward", "aten::_convolution_depthwise2d",
         "aten::thnn_conv2d", "aten::_nnpack_spatial_convolution")
WRAPPERS = ("aten::conv2d", "aten::convolution", "aten::_convolution")


def build(name, batch):
    if name in ("minilm", "bert"):
        from transformers import BertConfig, BertModel
        small = dict(hidden_size=384, num_hidden_layers=6, num_attention_heads=12, intermediate_size=1536)
        # BertConfig's defaults are bert-base-uncased's shape.
        cfg = BertConfig(**small) if name == "minilm" else BertConfig()
        model = BertModel(cfg).float().eval()
        ids = torch.randint(0, cfg.vocab_size, (batch, 128))
        return lambda: model(input_ids=ids, attention_mask=torch.ones_like(ids))
    import torchvision
    model = getattr(torchvision.models, name)(weights=None).float().eval()
    x = torch.randn(batch, 3, 224, 224)
    return lambda: model(x)


def kind(key, shapes):
    w = shapes[1] if len(shapes) > 1 else None
    if key not in CONVS or not w or len(w) != 4:
        return key
    return f"{key}:{'dw' if w[1] == 1 and w[2] > 1 else 'pw' if w[2] == 1 else 'conv'}"


def profile(run, threads, reps=3):
    from torch.profiler import ProfilerActivity, profile as prof
    torch.set_num_threads(threads)
    with torch.inference_mode():
        for _ in range(3):
            run()
        t = time.perf_counter()
        for _ in range(5):
            run()
        wall = (time.perf_counter() - t) / 5 * 1e3
        with prof(activities=[ProfilerActivity.CPU], record_shapes=True) as p:
            for _ in range(reps):
                run()
    self_ms = collections.defaultdict(float)
    for e in p.key_averages(group_by_input_shape=True):
        if e.key not in WRAPPERS:
            self_ms[kind(e.key, e.input_shapes)] += e.self_cpu_time_total / reps / 1e3
    return wall, self_ms


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--top", type=int, default=10)
    a = ap.parse_args()
    torch.manual_seed(0)
    run = build(a.model, a.batch)
    (w1, s1), (w2, s2) = profile(run, 1), profile(run, 2)
    print(f"{a.model} batch {a.batch}: wall {w1:.1f} ms on 1 thread, {w2:.1f} ms on 2 (x{w1 / w2:.2f})")
    print(f"  {'operator (self time, ms)':48s} {'1 thread':>9s} {'2 threads':>9s}")
    for k in sorted(set(s1) | set(s2), key=lambda k: -max(s1.get(k, 0.0), s2.get(k, 0.0)))[:a.top]:
        print(f"  {k:48s} {s1.get(k, 0.0):9.2f} {s2.get(k, 0.0):9.2f}")
    print(f"  {'sum':48s} {sum(s1.values()):9.2f} {sum(s2.values()):9.2f}")


if __name__ == "__main__":
    main()
