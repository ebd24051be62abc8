"""What each kind of kernel costs in a BERT-style encoder under PyTorch, without a profiler: the model's wall
time per call, then again with one kind of layer knocked out (replaced by a layer that returns a kept tensor
of the right shape and does no work), on 1 and 2 threads. The difference is what that kind costs in the model,
its host dispatch included. `knockout.py` does the same for torchvision CNNs.

    MALLOC_TRIM_THRESHOLD_=107374182400 MALLOC_MMAP_MAX_=0 .venv/bin/python knockout_bert.py bert:1 minilm:1

Kinds: `linear` (every nn.Linear), `gelu` (the feed-forward activation), `ln` (LayerNorm), `attn` (the
attention's scaled dot product: its query returned). Variants are timed round-robin, `--passes` times, and
the median of the passes is reported. Random weights from the configs; nothing is downloaded.
"""
import argparse, statistics, time

import torch
import torch.nn.functional as F
from transformers import BertConfig, BertModel

KINDS = ("linear", "gelu", "ln", "attn")


class Kept(torch.nn.Module):
    """Returns one tensor of the layer's output shape, made once, whatever the input."""

    def __init__(self, out_features=None):
        super().__init__()
        self.out_features, self.kept = out_features, None

    def forward(self, x, *args, **kwargs):
        shape = x.shape if self.out_features is None else (*x.shape[:-1], self.out_features)
        if self.kept is None or self.kept.shape != shape:
            self.kept = torch.zeros(shape)
        return self.kept


def build(name, batch, knock):
    small = dict(hidden_size=384, num_hidden_layers=6, num_attention_heads=12, intermediate_size=1536)
    cfg = BertConfig(**small) if name == "minilm" else BertConfig()
    cfg._attn_implementation = "sdpa"
    model = BertModel(cfg).float().eval()
    for parent in list(model.modules()):
        for child_name, child in list(parent.named_children()):
            if knock == "linear" and isinstance(child, torch.nn.Linear):
                setattr(parent, child_name, Kept(child.out_features))
            elif knock == "ln" and isinstance(child, torch.nn.LayerNorm):
                setattr(parent, child_name, Kept())
            elif knock == "gelu" and type(child).__name__ == "GELUActivation":
                setattr(parent, child_name, Kept())
    ids = torch.randint(0, cfg.vocab_size, (batch, 128))
    mask = torch.ones_like(ids)
    if knock == "attn":
        real = F.scaled_dot_product_attention
        def run():
            F.scaled_dot_product_attention = lambda q, k, v, *a, **kw: q
            try:
                return model(input_ids=ids, attention_mask=mask)
            finally:
                F.scaled_dot_product_attention = real
        return run
    return lambda: model(input_ids=ids, attention_mask=mask)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("models", nargs="+", help="NAME:BATCH, NAME bert or minilm")
    ap.add_argument("--passes", type=int, default=5)
    ap.add_argument("--reps", type=int, default=5)
    a = ap.parse_args()
    torch.manual_seed(0)
    for spec in a.models:
        name, batch = spec.split(":")
        variants = {k: build(name, int(batch), k) for k in ("none",) + KINDS}
        for threads in (1, 2):
            torch.set_num_threads(threads)
            times = {k: [] for k in variants}
            with torch.inference_mode():
                for run in variants.values():
                    for _ in range(2):
                        run()
                for _ in range(a.passes):
                    for k, run in variants.items():
                        t = time.perf_counter()
                        for _ in range(a.reps):
                            run()
                        times[k].append((time.perf_counter() - t) / a.reps * 1e3)
            full = statistics.median(times["none"])
            cost = {k: full - statistics.median(times[k]) for k in KINDS}
            parts = "  ".join(f"{k} {c:6.2f}" for k, c in cost.items())
            print(f"{name}:{batch} {threads}T wall {full:7.2f} ms | cost of {parts} | rest "
                  f"{full - sum(cost.values()):6.2f}", flush=True)


if __name__ == "__main__":
    main()
