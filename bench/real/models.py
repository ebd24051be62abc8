"""Catalog models built from their configs with random weights, runnable on PyTorch or ONNX Runtime (CPU, fp32).

Nothing is downloaded: every architecture comes from a transformers config or a torchvision constructor with
`weights=None`, initialised under a fixed seed.

Inputs follow the predictor's defaults (read from the Rust sources, keep in sync):

* text encoders (bert-base-uncased, distilbert-base-uncased, all-MiniLM-L6-v2): `sequence_length` 128
  (`bert_like(...)` sets `default_input: text(128)` in src/catalog/models.rs), truncated to the 512 learned
  positions as `clamp_positions` in src/predict/spec.rs does.
* vision (vit-base-patch16-224, resnet-50, mobilenet-v2, efficientnet-b0): `image_size` 224 (`text(0)` in
  src/catalog/models.rs sets `image_size: 224`).
* t5-small, gpt2: prompt `sequence_length` 128 (`build()` forces 128 for every TextGeneration entry) and
  `output_tokens` 32 (`DEFAULT_OUTPUT_TOKENS` in src/predict/spec.rs). The predictor counts the prefill as
  producing the first token and then `output_tokens - 1` decode steps (`generation()` in models.rs), and so do
  we: t5-small = encoder over the prompt + decoder pass on the start token + 31 cached decode steps; gpt2 =
  prefill over the prompt + 31 cached decode steps.
* whisper-tiny: audio always padded to 30 s = 3,000 mel frames (`WHISPER_FRAMES`), `audio_seconds` (default
  10) therefore changes nothing; decoder prompt of 4 special tokens (`WHISPER_PROMPT_TOKENS`), then
  `output_tokens - 1` = 31 cached decode steps.

Decoding is greedy and always runs the fixed number of steps (no end-of-sequence stop), so every inference
does the same work. `batch_size` multiplies every input.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

# Model entry fields the CLI accepts (src/wire.rs); the harness reads the ones marked used, rejects the rest.
CLI_FIELDS = {
    "model_name", "model_type", "batch_size", "precision", "sequence_length", "image_size",
    "audio_seconds", "output_tokens", "threads", "device", "runtime", "params", "gflops", "architecture",
    "chain",
}
UNSUPPORTED_FIELDS = {"params", "gflops", "architecture", "chain", "device", "runtime"}

DEFAULT_SEQUENCE = 128       # src/catalog/models.rs: text(128), and 128 for every TextGeneration entry
DEFAULT_IMAGE = 224          # src/catalog/models.rs: text() sets image_size 224
DEFAULT_OUTPUT_TOKENS = 32   # src/predict/spec.rs: DEFAULT_OUTPUT_TOKENS
DEFAULT_AUDIO_SECONDS = 10.0  # src/catalog/models.rs: text() sets audio_seconds 10 (Whisper pads to 30 s anyway)
WHISPER_FRAMES = 3000        # src/catalog/models.rs: WHISPER_FRAMES
WHISPER_PROMPT = [50258, 50259, 50359, 50363]  # start, <|en|>, transcribe, no-timestamps: WHISPER_PROMPT_TOKENS = 4
T5_START = 0                 # T5's decoder_start_token_id (the pad token)
SEED = 1234                  # weights and inputs of every model (torch.manual_seed / torch.Generator)

# kind: text (encoder), vision, t5, gpt2, whisper; positions: learned position limit (0 = none)
KINDS = {
    "bert-base-uncased": ("text", 512),
    "distilbert-base-uncased": ("text", 512),
    "all-MiniLM-L6-v2": ("text", 512),
    "vit-base-patch16-224": ("vision", 0),
    "resnet-50": ("vision", 0),
    "mobilenet-v2": ("vision", 0),
    "efficientnet-b0": ("vision", 0),
    "t5-small": ("t5", 0),
    "gpt2": ("gpt2", 1024),
    "whisper-tiny": ("whisper", 448),
}
# Aliases of src/catalog/models.rs (ALIASES) that name a model above.
ALIASES = {
    "bert-base": "bert-base-uncased", "distilbert": "distilbert-base-uncased", "minilm": "all-MiniLM-L6-v2",
    "vit-base": "vit-base-patch16-224", "vit_b_16": "vit-base-patch16-224", "resnet50": "resnet-50",
    "mobilenet_v2": "mobilenet-v2", "mobilenetv2": "mobilenet-v2", "efficientnet_b0": "efficientnet-b0",
    "gpt-2": "gpt2",
}


class EntryError(ValueError):
    """A model entry the harness cannot run; the message names the field."""


@dataclasses.dataclass(frozen=True)
class Entry:
    """A model entry resolved to concrete inputs."""

    name: str
    kind: str
    batch: int
    sequence_length: int
    image_size: int
    output_tokens: int
    audio_seconds: float

    def cli_json(self) -> dict:
        """The entry as the CLI's model JSON, every input that matters for this kind written out."""
        out = {"model_name": self.name, "batch_size": self.batch}
        if self.kind in ("text", "t5", "gpt2"):
            out["sequence_length"] = self.sequence_length
        if self.kind == "vision":
            out["image_size"] = self.image_size
        if self.kind == "whisper":
            out["audio_seconds"] = self.audio_seconds
        if self.kind in ("t5", "gpt2", "whisper"):
            out["output_tokens"] = self.output_tokens
        return out

    def describe(self) -> str:
        """What one inference runs, in words."""
        b, s, steps = self.batch, self.sequence_length, max(self.output_tokens - 1, 0)
        return {
            "text": f"encoder over {b}x{s} tokens",
            "vision": f"forward on {b}x3x{self.image_size}x{self.image_size}",
            "t5": f"encoder {b}x{s} + decoder start pass + {steps} cached greedy steps",
            "gpt2": f"prefill {b}x{s} + {steps} cached greedy steps",
            "whisper": f"encoder {b}x80x{WHISPER_FRAMES} + decoder prompt {len(WHISPER_PROMPT)} "
                       f"+ {steps} cached greedy steps",
        }[self.kind]

    def key(self) -> str:
        """Identifies the exported graphs of this entry: the shapes they fix (the KV-cache axis is dynamic)."""
        shape = {"vision": f"-i{self.image_size}", "whisper": ""}.get(self.kind, f"-s{self.sequence_length}")
        return f"{self.name}-b{self.batch}{shape}"


def canonical_name(name: str) -> str | None:
    """Catalog name for `name` (case, organisation prefix and aliases ignored as the CLI does), or None."""
    bare = name.rsplit("/", 1)[-1].strip().lower()
    bare = ALIASES.get(bare, bare)
    return next((n for n in KINDS if n.lower() == bare), None)


def _int_field(raw: dict, field: str, key: str, default: int, low: int) -> int:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) or value < low:
        raise EntryError(f"{field}.{key}: {value!r} is not an integer >= {low}")
    return int(value)


def resolve(raw: dict, field: str = "models[0]") -> Entry:
    """Validates a CLI model entry and fills the predictor's defaults; raises EntryError naming the field."""
    if not isinstance(raw, dict):
        raise EntryError(f"{field}: expected an object like {{\"model_name\": \"bert-base-uncased\"}}")
    unknown = set(raw) - CLI_FIELDS
    if unknown:
        raise EntryError(f"{field}: unknown field(s) {sorted(unknown)}; allowed: {sorted(CLI_FIELDS)}")
    unsupported = set(raw) & UNSUPPORTED_FIELDS
    if unsupported:
        raise EntryError(f"{field}: {sorted(unsupported)} not supported by the real-runtime harness")
    if "model_name" not in raw:
        raise EntryError(f"{field}.model_name: missing")
    name = canonical_name(str(raw["model_name"]))
    if name is None:
        raise EntryError(f"{field}.model_name: unknown model {raw['model_name']!r}; the harness builds: "
                         + ", ".join(KINDS))
    if raw.get("precision", "fp32") != "fp32":
        raise EntryError(f"{field}.precision: {raw['precision']!r}: the harness runs fp32 only")
    kind, positions = KINDS[name]
    generates = kind in ("t5", "gpt2", "whisper")
    entry = Entry(
        name=name, kind=kind,
        batch=_int_field(raw, field, "batch_size", 1, 1),
        sequence_length=_int_field(raw, field, "sequence_length", DEFAULT_SEQUENCE, 1),
        image_size=_int_field(raw, field, "image_size", DEFAULT_IMAGE, 32),
        output_tokens=_int_field(raw, field, "output_tokens", DEFAULT_OUTPUT_TOKENS, 1) if generates else 0,
        audio_seconds=float(raw.get("audio_seconds", DEFAULT_AUDIO_SECONDS)),
    )
    if name == "vit-base-patch16-224" and entry.image_size % 16:
        raise EntryError(f"{field}.image_size: {entry.image_size} is not a multiple of ViT's 16-pixel patch")
    return _clamp_positions(entry, positions)


def _clamp_positions(entry: Entry, positions: int) -> Entry:
    """Cuts the prompt to the learned positions as src/predict/spec.rs clamp_positions does."""
    if entry.kind == "whisper" and len(WHISPER_PROMPT) + entry.output_tokens > positions:
        raise EntryError(f"whisper-tiny: output_tokens {entry.output_tokens} exceed its {positions} positions")
    if positions and entry.kind in ("text", "gpt2"):
        needed = entry.sequence_length + entry.output_tokens
        if needed > positions:
            cut = max(positions - entry.output_tokens, 1)
            return dataclasses.replace(entry, sequence_length=cut)
    return entry


# ---------------------------------------------------------------------------------------------------------------
# PyTorch construction


def build_torch_model(entry: Entry, seed: int):
    """The entry's architecture with random weights under `seed`, fp32, eval mode."""
    import torch

    torch.manual_seed(seed)
    builders = {
        "bert-base-uncased": _bert, "distilbert-base-uncased": _distilbert, "all-MiniLM-L6-v2": _minilm,
        "vit-base-patch16-224": _vit, "resnet-50": _torchvision("resnet50"),
        "mobilenet-v2": _torchvision("mobilenet_v2"), "efficientnet-b0": _torchvision("efficientnet_b0"),
        "t5-small": _t5, "gpt2": _gpt2, "whisper-tiny": _whisper,
    }
    return builders[entry.name](entry).float().eval()


def _bert(entry: Entry):
    from transformers import BertConfig, BertModel
    return BertModel(BertConfig(), add_pooling_layer=True)  # BertConfig() defaults = bert-base-uncased


def _distilbert(entry: Entry):
    from transformers import DistilBertConfig, DistilBertModel
    return DistilBertModel(DistilBertConfig())  # defaults = distilbert-base-uncased


def _minilm(entry: Entry):
    from transformers import BertConfig, BertModel
    config = BertConfig(hidden_size=384, num_hidden_layers=6, num_attention_heads=12, intermediate_size=1536)
    return BertModel(config, add_pooling_layer=True)


def _vit(entry: Entry):
    import torchvision
    return torchvision.models.vit_b_16(weights=None, image_size=entry.image_size)


def _torchvision(fn_name: str):
    def build(entry: Entry):
        import torchvision
        return getattr(torchvision.models, fn_name)(weights=None)
    return build


def _t5(entry: Entry):
    from transformers import T5Config, T5ForConditionalGeneration
    config = T5Config(vocab_size=32128, d_model=512, d_kv=64, d_ff=2048, num_layers=6, num_heads=8)
    return T5ForConditionalGeneration(config)


def _gpt2(entry: Entry):
    from transformers import GPT2Config, GPT2LMHeadModel
    return GPT2LMHeadModel(GPT2Config())  # defaults = gpt2 (124M)


def _whisper(entry: Entry):
    from transformers import WhisperConfig, WhisperForConditionalGeneration
    config = WhisperConfig(
        vocab_size=51865, num_mel_bins=80, d_model=384, encoder_layers=4, decoder_layers=4,
        encoder_attention_heads=6, decoder_attention_heads=6, encoder_ffn_dim=1536, decoder_ffn_dim=1536,
        max_source_positions=1500, max_target_positions=448)
    return WhisperForConditionalGeneration(config)


def make_inputs(entry: Entry, seed: int) -> dict:
    """Deterministic input tensors (torch) for one inference of the entry."""
    import torch

    g = torch.Generator().manual_seed(seed)
    b, s = entry.batch, entry.sequence_length
    if entry.kind == "vision":
        return {"pixels": torch.randn(b, 3, entry.image_size, entry.image_size, generator=g)}
    if entry.kind == "whisper":
        return {"features": torch.randn(b, 80, WHISPER_FRAMES, generator=g)}
    vocab = {"t5": 32128, "gpt2": 50257}.get(entry.kind, 30522)
    ids = torch.randint(1, vocab, (b, s), generator=g)
    return {"input_ids": ids, "attention_mask": torch.ones(b, s, dtype=torch.long)}


class TorchRunner:
    """One model on PyTorch: `run()` does one inference of the entry's batch under no_grad."""

    def __init__(self, entry: Entry, seed: int):
        self.entry = entry
        self.model = build_torch_model(entry, seed)
        self.inputs = make_inputs(entry, seed)

    def run(self):
        import torch

        with torch.inference_mode():
            return getattr(self, "_run_" + self.entry.kind)()

    def _run_text(self):
        return self.model(**self.inputs)

    def _run_vision(self):
        return self.model(self.inputs["pixels"])

    def _run_gpt2(self):
        # As `generate()` does (transformers 5): the prompt's logits only at its last position, the one decoding
        # reads. ONNX Runtime's exported prefill graph is a plain forward pass and projects every position
        # (`RuntimeProfile::prefill_logits_every_position`).
        out = self.model(input_ids=self.inputs["input_ids"], use_cache=True, logits_to_keep=1)
        return self._decode(out, lambda tok, past: self.model(input_ids=tok, past_key_values=past,
                                                                 use_cache=True))

    def _run_t5(self):
        import torch

        mask = self.inputs["attention_mask"]
        enc = self.model.get_encoder()(input_ids=self.inputs["input_ids"], attention_mask=mask)
        start = torch.full((self.entry.batch, 1), T5_START, dtype=torch.long)
        step = lambda tok, past: self.model(encoder_outputs=enc, attention_mask=mask, decoder_input_ids=tok,
                                            past_key_values=past, use_cache=True)
        return self._decode(step(start, None), step)

    def _run_whisper(self):
        import torch

        enc = self.model.get_encoder()(input_features=self.inputs["features"])
        prompt = torch.tensor([WHISPER_PROMPT] * self.entry.batch, dtype=torch.long)
        step = lambda tok, past: self.model(encoder_outputs=enc, decoder_input_ids=tok, past_key_values=past,
                                            use_cache=True)
        return self._decode(step(prompt, None), step)

    def _decode(self, out, step):
        """Greedy decoding after the first pass `out`: output_tokens - 1 further steps, KV cache reused."""
        tokens = [out.logits[:, -1].argmax(-1, keepdim=True)]
        for _ in range(self.entry.output_tokens - 1):
            out = step(tokens[-1], out.past_key_values)
            tokens.append(out.logits[:, -1].argmax(-1, keepdim=True))
        return tokens


# ---------------------------------------------------------------------------------------------------------------
# ONNX export and ONNX Runtime

OPSET = 17  # verified with torch 2.15 legacy (TorchScript) exporter and onnxruntime 1.32


def cache_dir() -> Path:
    """bench/real/.cache/onnx (gitignored)."""
    return Path(__file__).resolve().parent / ".cache" / "onnx"


def graph_paths(entry: Entry) -> dict:
    """Graph files of an entry: `main` for encoders and vision, `prefill` + `decode` for generating models, and
    `inputs` (the ORT feeds as .npz, so that ORT workers never import torch)."""
    base = cache_dir() / entry.key()
    names = ["main"] if entry.kind in ("text", "vision") else ["prefill", "decode"]
    return {**{n: base / f"{n}.onnx" for n in names}, "inputs": base / "inputs.npz"}


def ensure_exported(entry: Entry, seed: int) -> dict:
    """Exports the entry's graphs unless cached; returns their paths. Weights are those of build_torch_model."""
    paths = graph_paths(entry)
    if all(p.exists() for p in paths.values()):
        return paths
    import onnx_export
    paths["inputs"].parent.mkdir(parents=True, exist_ok=True)
    onnx_export.export(entry, build_torch_model(entry, seed), make_inputs(entry, seed), paths, OPSET)
    return paths


def _export_all(entries) -> dict:
    """Exports every entry (cached); returns {entry key: error} for failures."""
    import traceback

    quiet_libraries()
    failed = {}
    for e in entries:
        try:
            ensure_exported(e, SEED)
        except Exception as exc:  # noqa: BLE001 - reported per model
            failed[e.key()] = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}"
    return failed


def export_in_child(entries) -> dict:
    """Exports the entries not yet cached in a spawned child process, so that no measuring process carries the
    exporter's memory, threads or tracer state; returns {entry key: error} for failures."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    todo = list({e.key(): e for e in entries if not all(p.exists() for p in graph_paths(e).values())}.values())
    if not todo:
        return {}
    with ProcessPoolExecutor(1, mp_context=mp.get_context("spawn")) as ex:
        return ex.submit(_export_all, todo).result()


class OrtRunner:
    """One model on ONNX Runtime; a session per thread count (intra-op t, inter-op 1), created once."""

    def __init__(self, entry: Entry, thread_counts):
        import numpy as np

        self.entry = entry
        self.paths = graph_paths(entry)
        missing = [str(p) for p in self.paths.values() if not p.exists()]
        if missing:
            raise RuntimeError(f"{entry.name}: ONNX graphs not exported: {missing}")
        with np.load(self.paths.pop("inputs")) as feeds:
            self.feeds = dict(feeds)
        self.sessions = {t: self._sessions(t) for t in thread_counts}

    def _sessions(self, threads: int) -> dict:
        return {n: ort_session(p, threads) for n, p in self.paths.items()}

    def run(self, threads: int):
        import onnx_export

        sessions = self.sessions[threads]
        if "main" in sessions:
            return sessions["main"].run(None, self.feeds)
        return onnx_export.generate(self.entry, sessions, self.feeds)


def ort_session(path, threads: int):
    """An ONNX Runtime CPU session on `threads` intra-op threads, one inter-op thread, every graph optimisation."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def runtime_version(runtime: str) -> str:
    """Version string of the runtime (and the model libraries behind it)."""
    if runtime == "pytorch":
        import torch, torchvision, transformers
        return f"torch {torch.__version__} (torchvision {torchvision.__version__}, " \
               f"transformers {transformers.__version__})"
    import onnxruntime, torch
    return f"onnxruntime {onnxruntime.__version__} (export: torch {torch.__version__}, opset {OPSET})"


def quiet_libraries():
    """No hub access and no progress noise in workers."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
