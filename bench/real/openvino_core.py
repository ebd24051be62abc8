"""OpenVINO on one CPU core, as the predictor runs each request of OpenVINO's published CPU throughputs.

OpenVINO's published CPU throughputs (tests/data/published-candidates.json, `ov232-*`) state no stream layout; the
predictor runs them as one single-threaded request per core (`best_stream_cores` in src/native/published.rs picks
that split). This times catalog models on this machine the same way: one stream of one thread, batch 1, one
request alone; then one such stream per core with a request on each at once (every core busy), compiled alike
(OpenVINO pins each stream's thread to a core). Models are built from torchvision / transformers configs with
random weights (torchvision's ResNet-50 is v1.5; OpenVINO's published rows use OMZ's resnet-50-tf, v1); int8
models are quantised with NNCF from random calibration inputs (the timing does not depend on the weights'
values). Nothing is downloaded.

    .venv/bin/python openvino_core.py --out results/openvino-core.json
    .venv/bin/python openvino_core.py --gemm      # a one-thread f32 MatMul at calibrate's GEMM shapes
    .venv/bin/python openvino_core.py --amx       # one-thread MatMuls: f32, OpenVINO's default (bf16 on AMX), int8
    .venv/bin/python openvino_core.py --profile --out results/x.json  # OpenVINO's per-node times, one request
    .venv/bin/python openvino_core.py --profile --int8-f32 --out results/x.json  # int8 models' other ops in f32
    .venv/bin/python openvino_core.py --attention --out results/x.json  # BERT's attention nodes per layer
    .venv/bin/python openvino_core.py --attention --save-ir /tmp/ir       # ... and keep the fp32 and int8 models
    /other/venv/bin/python openvino_core.py --attention --ir /tmp/ir      # ... timed by another OpenVINO version

Prints, per model and precision, the median time per inference alone and per request with every core busy, the
`INFERENCE_PRECISION_HINT` the compiled model reports (fp32 models are timed with f32 forced, as the published
FP32 column; `--default-precision` times them with OpenVINO's default, bf16 on CPUs with AMX) and how many of the
executed graph's nodes ran at each precision (`runtimePrecision` of `get_runtime_model()`).
"""

import argparse
import json
import os
import statistics
import threading
import time

import numpy as np
import openvino as ov


# Calls per profiled model (`--profile`, `--attention`): OpenVINO's per-node counters are read after each; a run
# length, not a model constant.
PROFILE_CALLS = 20

# BERT-base's encoder layers (`BertConfig`'s default `num_hidden_layers`), over which `--attention` divides its
# per-call sums.
BERT_BASE_LAYERS = 12


def resnet50():
    import torch
    import torchvision

    m = torchvision.models.resnet50(weights=None).eval()
    x = torch.randn(1, 3, 224, 224)
    model = ov.convert_model(m, example_input=x)
    model.reshape([1, 3, 224, 224])
    return model


def bert_base_cased(seq):
    import torch
    from transformers import BertConfig, BertModel

    cfg = BertConfig(vocab_size=28996)  # bert-base-cased's vocabulary; the rest is BERT-base's default
    m = BertModel(cfg).eval()
    ids = torch.randint(0, cfg.vocab_size, (1, seq))
    mask = torch.ones(1, seq, dtype=torch.int64)
    model = ov.convert_model(m, example_input={"input_ids": ids, "attention_mask": mask})
    model.reshape({p.get_any_name(): [1, seq] for p in model.inputs})
    return model


def inputs_for(model):
    out = {}
    for p in model.inputs:
        shape = tuple(p.get_partial_shape().to_shape())
        if "mask" in p.get_any_name():
            # Every token attended to, as a padded batch of one full sequence.
            out[p.get_any_name()] = np.ones(shape, dtype=np.int64)
        elif p.get_element_type() in (ov.Type.i64, ov.Type.i32):
            out[p.get_any_name()] = np.random.randint(1, 1000, shape).astype(
                np.int64 if p.get_element_type() == ov.Type.i64 else np.int32
            )
        else:
            out[p.get_any_name()] = np.random.rand(*shape).astype(np.float32)
    return out


def quantise(model, transformer):
    import nncf

    data = [inputs_for(model) for _ in range(8)]
    kind = {"model_type": nncf.ModelType.TRANSFORMER} if transformer else {}
    return nncf.quantize(model, nncf.Dataset(data), subset_size=len(data), **kind)


def compiled(core, model, precision_hint, streams=1, extra=None):
    """One single-threaded stream per core asked for: as many requests at once as there are streams (`extra`:
    more of OpenVINO's properties)."""
    cfg = {
        "NUM_STREAMS": str(streams),
        "INFERENCE_NUM_THREADS": str(streams),
        "ENABLE_CPU_PINNING": "YES",
        **(extra or {}),
    }
    if precision_hint:
        cfg["INFERENCE_PRECISION_HINT"] = precision_hint
    c = core.compile_model(model, "CPU", cfg)
    return c, c.get_property("INFERENCE_PRECISION_HINT")


def time_requests(c, feed, seconds, out, key):
    """One request on `c` called back to back for `seconds` after 5 untimed calls: ms per call into `out[key]`."""
    req = c.create_infer_request()
    for _ in range(5):
        req.infer(feed)
    times = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        t = time.perf_counter()
        req.infer(feed)
        times.append((time.perf_counter() - t) * 1e3)
    out[key] = times


def runtime_precisions(c):
    """Executed nodes per runtime precision (constants and parameters left out)."""
    counts = {}
    for node in c.get_runtime_model().get_ordered_ops():
        info = node.get_rt_info()
        if "runtimePrecision" not in info or node.get_type_name() in ("Parameter", "Result"):
            continue
        if "layerType" in info and info["layerType"].astype(str) in ("Input", "Output", "Const"):
            continue
        p = info["runtimePrecision"].astype(str)
        counts[p] = counts.get(p, 0) + 1
    return dict(sorted(counts.items()))


def measure(core, name, model, precision_hint, seconds, cpus):
    c, ran = compiled(core, model, precision_hint)
    feed = inputs_for(model)
    alone = {}
    time_requests(c, feed, seconds, alone, 0)
    # Every core busy: one single-threaded stream per core, one request per stream at once (infer() releases
    # the GIL).
    many, _ = compiled(core, model, precision_hint, streams=len(cpus))
    busy = {}
    threads = [
        threading.Thread(target=time_requests, args=(many, feed, seconds, busy, i))
        for i in range(len(cpus))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    per_core = [statistics.median(busy[i]) for i in range(len(cpus))]
    row = {
        "model": name,
        "inference_precision_hint": str(ran),
        "nodes_by_runtime_precision": runtime_precisions(c),
        "alone_ms": statistics.median(alone[0]),
        "alone_runs": len(alone[0]),
        "all_cores_busy_ms": per_core,
        "cores": len(cpus),
    }
    print(
        f"{name:22s} hint {str(ran):24s} alone {row['alone_ms']:8.2f} ms"
        f"   every core busy {', '.join(f'{v:.2f}' for v in per_core)} ms"
        f"   nodes {row['nodes_by_runtime_precision']}"
    )
    return row


def profiled_calls(core, model, precision_hint, calls, keep=lambda info: True):
    """One single-threaded request with OpenVINO's per-node counters (`PERF_COUNT`), called `calls` times after 5
    untimed calls: the compiled model's precision hint; the executed nodes `keep` accepts summed by node type and
    the kernel that ran them (its name carries the precision: `brgemm_avx512_I8`), as (type, kernel, nodes, ms) rows
    per call, the slowest first; each call's wall time (ms); and each call's sum of those nodes' times (ms)."""
    c, ran = compiled(core, model, precision_hint, extra={"PERF_COUNT": "YES"})
    req, feed = c.create_infer_request(), inputs_for(model)
    for _ in range(5):
        req.infer(feed)
    groups, wall, sums = {}, [], []
    for _ in range(calls):
        t = time.perf_counter()
        req.infer(feed)
        wall.append((time.perf_counter() - t) * 1e3)
        total = 0.0
        for info in req.profiling_info:
            if info.status != info.Status.EXECUTED or not keep(info):
                continue
            ms = info.real_time.total_seconds() * 1e3
            total += ms
            key = (info.node_type, info.exec_type)
            n, t_ms = groups.get(key, (0, 0.0))
            groups[key] = (n + 1, t_ms + ms)
        sums.append(total)
    # Static shapes: every call runs the same nodes, so each group's count is a multiple of the calls.
    assert all(n % calls == 0 for n, _ in groups.values())
    rows = sorted(((t, e, n // calls, ms / calls) for (t, e), (n, ms) in groups.items()), key=lambda r: -r[3])
    return ran, rows, wall, sums


def profile(core, name, model, precision_hint, calls):
    """OpenVINO's own per-node timings of one single-threaded request (`profiled_calls`), per call, over `calls`
    calls. `nncf.quantize` returns a new model, so the fp32 one profiled after it is the one built."""
    ran, rows, wall, _ = profiled_calls(core, model, precision_hint, calls)
    total = sum(r[3] for r in rows)
    print(
        f"{name}: hint {ran}, {statistics.median(wall):.2f} ms per call (median of {calls}),"
        f" nodes' own times sum to {total:.2f} ms"
    )
    for t, e, n, ms in rows:
        print(f"  {t:22s} {e:34s} {n:4d} nodes {ms:8.3f} ms {100 * ms / total:5.1f} %")
    return {
        "model": name,
        "inference_precision_hint": str(ran),
        "call_ms_median": statistics.median(wall),
        "calls": calls,
        "nodes_ms": total,
        "by_type": [{"type": t, "exec": e, "nodes": n, "ms": ms} for t, e, n, ms in rows],
    }


def in_self_attention(info):
    """A node of BERT's self-attention between its projections: named under a layer's `attention.self/` (the
    fused MHA subgraph, the transposes, reshapes and quantisations OpenVINO leaves outside it; the Q, K and V
    projections are named `attention.self.query` etc. and are not), or a `Transpose` OpenVINO adds without a
    source name (one per layer, `Transpose_<n>`: the MHA pattern's own)."""
    added = info.node_type == "Transpose" and "__module" not in info.node_name
    return "attention.self/" in info.node_name or added


def attention_nodes(core, name, model, precision_hint, calls, layers):
    """OpenVINO's own times of the nodes of BERT's self-attention (`in_self_attention`), per layer and call, over
    `calls` calls of one single-threaded request (`profiled_calls`)."""
    ran, rows, _, sums = profiled_calls(core, model, precision_hint, calls, in_self_attention)
    per_call = [ms / layers for ms in sums]
    med = statistics.median(per_call)
    print(f"{name}: hint {ran}, attention nodes {med:.3f} ms per layer (median of {calls} calls)")
    for t, e, n, ms in rows:
        print(f"  {t:22s} {e:34s} {n:4d} nodes {ms:8.3f} ms")
    return {
        "model": name,
        "inference_precision_hint": str(ran),
        "attention_ms_per_layer_median": med,
        "attention_ms_per_layer_min": min(per_call),
        "attention_ms_per_layer_max": max(per_call),
        "calls": calls,
        "by_type": [{"type": t, "exec": e, "nodes": n, "ms": ms} for t, e, n, ms in rows],
    }


def fake_quantize(x, lo, hi, levels):
    import openvino.opset13 as ops

    lo, hi = ops.constant(np.float32(lo)), ops.constant(np.float32(hi))
    return ops.fake_quantize(x, lo, hi, lo, hi, levels)


def gemm_rate(core, m, k, n, kind="f32", seconds=1.0):
    """One-thread rate, G operations/s, of an OpenVINO MatMul of `m`×`k` by a constant `k`×`n`, and the precision
    its node ran at: `f32` forced; `default` (OpenVINO's own precision: bf16 where the CPU has AMX); `int8`, the
    input and the weights behind FakeQuantize (u8 activations, i8 weights, as NNCF writes them)."""
    import openvino.opset13 as ops

    x = ops.parameter([m, k], ov.Type.f32, name="x")
    w = ops.constant(np.random.uniform(-1.0, 1.0, (k, n)).astype(np.float32))
    a, b = (fake_quantize(x, 0.0, 1.0, 256), fake_quantize(w, -1.0, 1.0, 255)) if kind == "int8" else (x, w)
    model = ov.Model([ops.matmul(a, b, False, False)], [x], "gemm")
    c, _ = compiled(core, model, "f32" if kind == "f32" else None)
    times = {}
    time_requests(c, {"x": np.random.rand(m, k).astype(np.float32)}, seconds, times, 0)
    return 2 * m * k * n / (statistics.median(times[0]) * 1e-3) / 1e9, runtime_precisions(c)


def cpuinfo(key):
    """The first `/proc/cpuinfo` line's value for `key`."""
    for line in open("/proc/cpuinfo"):
        k, _, v = line.partition(":")
        if k.strip() == key:
            return v.strip()
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--default-precision", action="store_true")
    ap.add_argument("--out")
    ap.add_argument("--gemm", action="store_true", help="only calibrate's GEMM shapes, one thread, f32")
    ap.add_argument("--amx", action="store_true", help="one-thread MatMuls in f32, OpenVINO's default and int8")
    ap.add_argument(
        "--int8-f32",
        action="store_true",
        help="int8 models with f32 forced for their unquantised operations (as on a CPU without AVX512-BF16)",
    )
    ap.add_argument(
        "--profile",
        action="store_true",
        help="one single-threaded request of each model and precision: OpenVINO's per-node times by node type",
    )
    ap.add_argument(
        "--attention",
        action="store_true",
        help="BERT-base's self-attention nodes per layer, one single-threaded request: fp32, int8, int8 with f32 forced",
    )
    ap.add_argument("--save-ir", help="--attention: also save the fp32 and int8 models as OpenVINO IR in this folder")
    ap.add_argument(
        "--ir",
        help="--attention: read the fp32 and int8 models from this folder (written by --save-ir) instead of building"
        " them, so another OpenVINO version (a venv with only openvino and numpy) times the same models",
    )
    args = ap.parse_args()
    if (args.ir or args.save_ir) and not args.attention:
        ap.error("--ir and --save-ir go with --attention")
    cpus = sorted(os.sched_getaffinity(0))
    core = ov.Core()
    if args.gemm:
        for m, k, n in ((512, 768, 768), (16, 768, 768)):
            print(f"OpenVINO MatMul f32 {m}x{k}x{n}, 1 thread: {gemm_rate(core, m, k, n)[0]:7.2f} GFLOP/s")
        return
    if args.amx:
        for m, k, n in ((512, 768, 768), (128, 768, 3072), (16, 768, 768)):
            for kind in ("f32", "default", "int8"):
                rate, nodes = gemm_rate(core, m, k, n, kind)
                print(f"OpenVINO MatMul {kind:7s} {m}x{k}x{n}, 1 thread: {rate:7.1f} G op/s   nodes {nodes}")
        return
    rows = []
    if args.attention:
        if args.ir:
            model = core.read_model(os.path.join(args.ir, "bert-fp32.xml"))
            int8 = core.read_model(os.path.join(args.ir, "bert-int8.xml"))
        else:
            model = bert_base_cased(args.seq)
            int8 = quantise(model, transformer=True)
        if args.save_ir:
            os.makedirs(args.save_ir, exist_ok=True)
            ov.save_model(model, os.path.join(args.save_ir, "bert-fp32.xml"), compress_to_fp16=False)
            ov.save_model(int8, os.path.join(args.save_ir, "bert-int8.xml"), compress_to_fp16=False)
        for name, m, hint in (("fp32", model, "f32"), ("int8", int8, None), ("int8 f32 forced", int8, "f32")):
            row = attention_nodes(core, f"bert-base-cased {name}", m, hint, PROFILE_CALLS, BERT_BASE_LAYERS)
            rows.append(row)
    f32 = None if args.default_precision else "f32"
    int8_hint = "f32" if args.int8_f32 else None
    builds = () if args.attention else (("resnet-50", resnet50), ("bert-base-cased", lambda: bert_base_cased(args.seq)))
    for name, build in builds:
        model = build()
        if args.profile:
            int8 = quantise(model, transformer=name.startswith("bert"))
            rows.append(profile(core, f"{name} fp32", model, f32, PROFILE_CALLS))
            rows.append(profile(core, f"{name} int8", int8, int8_hint, PROFILE_CALLS))
            continue
        rows.append(measure(core, f"{name} fp32", model, f32, args.seconds, cpus))
        int8 = quantise(model, transformer=name.startswith("bert"))
        rows.append(measure(core, f"{name} int8", int8, int8_hint, args.seconds, cpus))
    result = {
        "openvino": ov.get_version(),
        "machine": {
            "cpu": cpuinfo("model name"),
            "family": cpuinfo("cpu family"),
            "model": cpuinfo("model"),
            "cores": len(cpus),
            "flags": sorted(
                f
                for f in open("/proc/cpuinfo").read().split("flags")[1].split("\n")[0].split()
                if f.startswith(("avx512", "amx"))
            ),
        },
        "mode": f"attention: OpenVINO's per-node times of BERT's self-attention, {PROFILE_CALLS} calls"
        if args.attention
        else f"profile: OpenVINO's per-node times, {PROFILE_CALLS} calls"
        if args.profile
        else "timed",
        "int8_unquantised_ops": "both" if args.attention else "f32 forced" if args.int8_f32 else "OpenVINO's default",
        "seconds": None if args.profile else args.seconds,
        "sequence_length": args.seq,
        "models_from_ir": args.ir,
        "rows": rows,
    }
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
