"""PyTorch's host cost per operator on this CPU, measured on the catalog's architectures shrunk to width 8.

A model with every layer kept but hidden size 8, one head and a vocabulary of 64 does no arithmetic worth
counting, so one forward pass takes what the runtime's host path takes: Python module calls, the ATen
dispatcher, allocation, and the framework's bookkeeping (KV-cache objects, masks) for every operator. Divided by
the number of kernels the predictor counts for the same pass (`mmperf predict --json`'s `kernels`), it gives
the runtime's host overhead per kernel on CPUs, independent of the multi-model scenarios it is then checked on.

    .venv/bin/python overhead.py            # prints JSON: ms per pass for each probe, 1 thread
"""

from __future__ import annotations

import json
import statistics
import time


def _tiny_models():
    from transformers import BertConfig, BertModel, GPT2Config, GPT2LMHeadModel, T5Config, T5ForConditionalGeneration

    bert = BertModel(BertConfig(hidden_size=8, num_hidden_layers=12, num_attention_heads=1, intermediate_size=8,
                                vocab_size=64), add_pooling_layer=True)
    gpt2 = GPT2LMHeadModel(GPT2Config(n_embd=8, n_layer=12, n_head=1, vocab_size=64))
    t5 = T5ForConditionalGeneration(T5Config(vocab_size=64, d_model=8, d_kv=8, d_ff=8, num_layers=6, num_heads=1))
    return {name: m.float().eval() for name, m in {"bert-base-uncased": bert, "gpt2": gpt2, "t5-small": t5}.items()}


def _passes(models):
    """One closure per probe, each returning (seconds, passes): an encoder forward, or 31 cached decode steps
    after a prefill (timed without the prefill), as the harness decodes."""
    import torch

    ids = torch.randint(1, 64, (1, 8))
    bert, gpt2, t5 = models["bert-base-uncased"], models["gpt2"], models["t5-small"]
    tok = ids[:, :1]

    def forward():
        t0 = time.perf_counter()
        bert(input_ids=ids)
        return time.perf_counter() - t0, 1

    def decode(first, step):
        past = first().past_key_values
        t0 = time.perf_counter()
        for _ in range(31):
            past = step(past).past_key_values
        return time.perf_counter() - t0, 31

    enc = t5.get_encoder()(input_ids=ids)
    return {
        "bert-base-uncased forward": forward,
        "gpt2 decode step": lambda: decode(lambda: gpt2(input_ids=ids, use_cache=True),
                                           lambda past: gpt2(input_ids=tok, past_key_values=past, use_cache=True)),
        "t5-small decode step": lambda: decode(
            lambda: t5(encoder_outputs=enc, decoder_input_ids=tok, use_cache=True),
            lambda past: t5(encoder_outputs=enc, decoder_input_ids=tok, past_key_values=past, use_cache=True)),
    }


def main():
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(0)
    out = {"runtime": "pytorch", "runtimeVersion": torch.__version__, "threads": 1, "probes": {}}
    with torch.inference_mode():
        for name, run in _passes(_tiny_models()).items():
            for _ in range(5):
                run()
            samples = []
            for _ in range(15):
                seconds, passes = run()
                samples.append(seconds / passes * 1e3)
            out["probes"][name] = {"medianMs": statistics.median(samples), "minMs": min(samples),
                                   "maxMs": max(samples)}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
