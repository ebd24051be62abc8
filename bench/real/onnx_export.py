"""ONNX export of the catalog models and the greedy decode loop that runs them on ONNX Runtime.

What runs on ONNX Runtime, per kind (all fp32, shapes fixed per entry except the KV-cache length):

* text encoders: one graph (input_ids, attention_mask) -> hidden states (+ BERT's pooler output).
* vision: one graph (pixels) -> logits.
* gpt2: `prefill` graph (prompt ids) -> last logits + KV cache; `decode` graph (one token, KV cache of any
  length) -> logits + grown cache. output_tokens - 1 decode runs after the prefill, as on PyTorch.
* t5-small: `prefill` = encoder + decoder pass on the start token -> logits, self-attention KV and the
  cross-attention K/V of every layer; `decode` takes one token, the self KV cache and the cross K/V (computed
  once, not recomputed) -> logits + grown self cache.
* whisper-tiny: `prefill` = encoder over 3,000 frames + decoder over the 4 prompt tokens -> logits, self KV,
  cross K/V; `decode` as for t5.

The argmax between steps runs in numpy (a few microseconds). The graphs come from the legacy TorchScript
exporter (`dynamo=False`) at opset 17 with eager attention, which traces the transformers caches reliably;
weights are the seeded random weights of models.build_torch_model.
"""

from __future__ import annotations

import warnings

import numpy as np


def export(entry, model, inputs: dict, paths: dict, opset: int):
    """Writes the entry's graphs to `paths` (see graph_paths) and the ORT feeds to paths["inputs"]."""
    import torch

    if hasattr(model, "config") and hasattr(model.config, "_attn_implementation"):
        model.config._attn_implementation = "eager"  # traces to plain MatMul/Softmax, no SDPA mask tricks
    exporter = {"text": _export_text, "vision": _export_vision, "gpt2": _export_gpt2,
                "t5": _export_t5, "whisper": _export_whisper}[entry.kind]
    fastpath = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(False)  # torchvision ViT: aten::_native_multi_head_attention has no ONNX form
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exporter(entry, model, inputs, paths, opset)
    finally:
        torch.backends.mha.set_fastpath_enabled(fastpath)
    np.savez(paths["inputs"], **numpy_inputs(entry, inputs))


def _save(module, args, path, names_in, names_out, dynamic, opset):
    import torch

    tmp = path.with_suffix(".tmp.onnx")
    torch.onnx.export(module, args, str(tmp), dynamo=False, opset_version=opset, input_names=names_in,
                      output_names=names_out, dynamic_axes=dynamic, do_constant_folding=True,
                      external_data=False)
    tmp.rename(path)  # only complete graphs land in the cache


def _Tuple(model, fn):
    """A module whose forward is `fn(model, *args)`, so that any function of the model can be exported."""
    import torch

    class Wrapped(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, *args):
            return fn(self.model, *args)

    return Wrapped()


def _export_text(entry, model, inputs, paths, opset):
    def fn(m, ids, mask):
        out = m(input_ids=ids, attention_mask=mask)
        return tuple(t for t in (out.last_hidden_state, getattr(out, "pooler_output", None)) if t is not None)
    n_out = 2 if entry.name != "distilbert-base-uncased" else 1
    _save(_Tuple(model, fn), (inputs["input_ids"], inputs["attention_mask"]), paths["main"],
          ["input_ids", "attention_mask"], ["hidden", "pooled"][:n_out], None, opset)


def _export_vision(entry, model, inputs, paths, opset):
    _save(model, (inputs["pixels"],), paths["main"], ["pixels"], ["logits"], None, opset)


def _flat(cache):
    """[k0, v0, k1, v1, ...] of a DynamicCache."""
    return [t for layer in cache.layers for t in (layer.keys, layer.values)]


def _kv_names(prefix, layers):
    return [f"{prefix}.{i}.{kv}" for i in range(layers) for kv in ("key", "value")]


def _past_axes(names, axis_name="past"):
    return {n: {2: axis_name} for n in names}


def _export_gpt2(entry, model, inputs, paths, opset):
    from transformers import DynamicCache

    layers = model.config.n_layer

    def prefill(m, ids):
        out = m(input_ids=ids, use_cache=True)
        return (out.logits[:, -1], *_flat(out.past_key_values))

    def decode(m, tok, *past):
        cache = DynamicCache(list(zip(past[0::2], past[1::2])))
        out = m(input_ids=tok, past_key_values=cache, use_cache=True)
        return (out.logits[:, -1], *_flat(out.past_key_values))

    ids = inputs["input_ids"]
    first = prefill(model, ids)
    past_in, present = _kv_names("past", layers), _kv_names("present", layers)
    _save(_Tuple(model, prefill), (ids,), paths["prefill"], ["input_ids"], ["logits", *present], None, opset)
    tok = first[0].argmax(-1, keepdim=True)
    _save(_Tuple(model, decode), (tok, *first[1:]), paths["decode"], ["input_ids", *past_in],
          ["logits", *present], {**_past_axes(past_in), **_past_axes(present, "total")}, opset)


def _enc_dec_cache(flat_self, flat_cross):
    from transformers import EncoderDecoderCache

    layers = len(flat_self) // 2
    return EncoderDecoderCache([(flat_self[2 * i], flat_self[2 * i + 1], flat_cross[2 * i], flat_cross[2 * i + 1])
                                for i in range(layers)])


def _export_seq2seq(model, first_args, first_names, encode, layers, paths, opset, extra_decode=()):
    """Shared by t5 and whisper: `encode(m, *first_args)` returns (encoder_outputs, decoder_ids, kwargs)."""
    def prefill(m, *args):
        enc, dec_ids, kw = encode(m, *args)
        out = m(encoder_outputs=enc, decoder_input_ids=dec_ids, use_cache=True, **kw)
        cache = out.past_key_values
        return (out.logits[:, -1], *_flat(cache.self_attention_cache), *_flat(cache.cross_attention_cache))

    def decode(m, tok, *rest):
        extra, flat = rest[:len(extra_decode)], rest[len(extra_decode):]
        cache = _enc_dec_cache(flat[:2 * layers], flat[2 * layers:])
        enc_dummy = (flat[2 * layers].new_zeros(1),)  # cross K/V come from the cache; the states are unused
        kw = {"attention_mask": extra[0]} if extra else {}
        out = m(encoder_outputs=enc_dummy, decoder_input_ids=tok, past_key_values=cache, use_cache=True, **kw)
        return (out.logits[:, -1], *_flat(out.past_key_values.self_attention_cache))

    first = prefill(model, *first_args)
    self_in, self_out = _kv_names("past", layers), _kv_names("present", layers)
    cross = _kv_names("cross", layers)
    _save(_Tuple(model, prefill), first_args, paths["prefill"], first_names, ["logits", *self_out, *cross],
          _past_axes(self_out, "total"), opset)
    tok = first[0].argmax(-1, keepdim=True)
    extra_args = tuple(first_args[i] for i in extra_decode)
    extra_names = [first_names[i] for i in extra_decode]
    _save(_Tuple(model, decode), (tok, *extra_args, *first[1:]), paths["decode"],
          ["decoder_input_ids", *extra_names, *self_in, *cross], ["logits", *self_out],
          {**_past_axes(self_in), **_past_axes(self_out, "total")}, opset)


def _export_t5(entry, model, inputs, paths, opset):
    import torch

    start = torch.zeros(entry.batch, 1, dtype=torch.long)  # T5_START = 0

    def encode(m, ids, mask, dec):
        return m.get_encoder()(input_ids=ids, attention_mask=mask), dec, {"attention_mask": mask}

    _export_seq2seq(model, (inputs["input_ids"], inputs["attention_mask"], start),
                    ["input_ids", "attention_mask", "decoder_input_ids"], encode, model.config.num_layers,
                    paths, opset, extra_decode=(1,))


def _export_whisper(entry, model, inputs, paths, opset):
    import torch
    from models import WHISPER_PROMPT

    prompt = torch.tensor([WHISPER_PROMPT] * entry.batch, dtype=torch.long)

    def encode(m, feats, dec):
        return m.get_encoder()(input_features=feats), dec, {}

    _export_seq2seq(model, (inputs["features"], prompt), ["input_features", "decoder_input_ids"], encode,
                    model.config.decoder_layers, paths, opset)


def numpy_inputs(entry, inputs: dict) -> dict:
    """Feeds of the first graph (main or prefill), keyed by graph input name."""
    from models import WHISPER_PROMPT, T5_START

    arr = {k: v.numpy() for k, v in inputs.items()}
    if entry.kind in ("text",):
        return {"input_ids": arr["input_ids"], "attention_mask": arr["attention_mask"]}
    if entry.kind == "vision":
        return {"pixels": arr["pixels"]}
    if entry.kind == "gpt2":
        return {"input_ids": arr["input_ids"]}
    if entry.kind == "t5":
        return {"input_ids": arr["input_ids"], "attention_mask": arr["attention_mask"],
                "decoder_input_ids": np.full((entry.batch, 1), T5_START, dtype=np.int64)}
    return {"input_features": arr["features"],
            "decoder_input_ids": np.array([WHISPER_PROMPT] * entry.batch, dtype=np.int64)}


def _only(session, feeds: dict) -> dict:
    """The feeds a session declares (the exporter drops unused inputs)."""
    names = {i.name for i in session.get_inputs()}
    return {k: v for k, v in feeds.items() if k in names}


def decode(entry, sessions: dict, feeds: dict, steps: int):
    """Prefill, then `steps` greedy decode steps feeding the KV cache back; yields the tokens so far after the
    prefill and after every step (so a caller can time each)."""
    pre, dec = sessions["prefill"], sessions["decode"]
    out_names = [o.name for o in pre.get_outputs()]
    outs = dict(zip(out_names, pre.run(None, _only(pre, feeds))))
    tokens = [outs["logits"].argmax(-1)[:, None].astype(np.int64)]
    yield tokens
    cross = {k: v for k, v in outs.items() if k.startswith("cross.")}
    past = {k.replace("present.", "past."): v for k, v in outs.items() if k.startswith("present.")}
    static = _only(dec, {**cross, "attention_mask": feeds.get("attention_mask")})
    dec_names = [o.name for o in dec.get_outputs()]
    ids_name = "input_ids" if entry.kind == "gpt2" else "decoder_input_ids"
    for _ in range(steps):
        res = dict(zip(dec_names, dec.run(None, {ids_name: tokens[-1], **past, **static})))
        past = {k.replace("present.", "past."): v for k, v in res.items() if k.startswith("present.")}
        tokens.append(res["logits"].argmax(-1)[:, None].astype(np.int64))
        yield tokens


def generate(entry, sessions: dict, feeds: dict) -> list:
    """Prefill, then output_tokens - 1 greedy decode steps feeding the KV cache back; returns the tokens."""
    for tokens in decode(entry, sessions, feeds, entry.output_tokens - 1):
        pass
    return tokens
