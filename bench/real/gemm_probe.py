"""One-thread GEMM rates of PyTorch (`torch.mm`, `nn.Linear`: MKL sgemm) and ONNX Runtime (`MatMul`: MLAS)
on this CPU, beside `mmperf calibrate`'s tuned GEMM: shows which vector width each runtime's matrix products
use (on AMD CPUs MKL runs its AVX2 kernels; MLAS its AVX-512 ones where the CPU has them).

    .venv/bin/python gemm_probe.py           # matrix products, one thread
    .venv/bin/python gemm_probe.py --conv    # PyTorch's 1×1 convolutions on one and two threads
    .venv/bin/python gemm_probe.py --linear  # PyTorch's linear layers on ViT's and BERT's shapes, 1 and 2 threads
    .venv/bin/python gemm_probe.py --stack   # BERT-base's 72 linear layers, distinct weights against reused ones

Shapes: 512×768×768 and 16×768×768 (calibrate's large and small GEMMs) and a 1×768×3072 GEMV. Medians of 30
calls after 5 untimed ones.

With --conv: 1×1 convolutions of ResNet-50's and MobileNet-v2's shapes at batch 1 and 8 on one and two threads,
time, GFLOP/s and activation GB/s (input plus output). ATen runs them through MKL's GEMM on one thread below
batch 16, through oneDNN otherwise (`ConvParams::use_mkldnn`), which reorders NCHW tensors to its blocked layout
and back around each call.

With --linear: `torch.nn.functional.linear` (MKL sgemm with the bias) on ViT-B/16's, BERT-base's and MiniLM's
(batch 1) shapes, the large one and calibrate's 16-row one, GFLOP/s on 1 and 2 threads, twice in turn: to set beside the tuned GEMM rates `mmperf calibrate`
reads in the same minutes (`results/linear-pytorch-dev-vm-s19.txt`, run with the heap kept:
`MALLOC_TRIM_THRESHOLD_=107374182400 MALLOC_MMAP_MAX_=0`).

With --stack: BERT-base's 72 linear layers at 128 rows (12 x Q, K, V, output 768x768, 768x3072, 3072x768; 85 M
weights, 340 MB) one after another, as a forward pass runs them, on 1 and 2 threads: with every layer's own
weights (read from memory, and copied into MKL's panels, on every call) and with one layer's weights of each
shape reused by all 12 (in cache). The difference is what moving the weights costs beyond the arithmetic; the
part of it that does not divide by the threads is the per-call packing the model charges
(`packs_weights_per_call`). Medians of 7 passes after 2 untimed ones, both variants in turn.
"""
import sys, time, torch, numpy as np

from kernels import median_s

torch.set_num_threads(1)


def conv_probe():
    torch.set_num_interop_threads(1)

    def median_s(f, threads, reps=40):
        torch.set_num_threads(threads)
        for _ in range(5): f()
        ts = []
        for _ in range(reps):
            t = time.perf_counter(); f(); ts.append(time.perf_counter() - t)
        return float(np.median(ts))

    for n in (1, 8):
        for (c, h, o) in [(256, 56, 64), (64, 56, 256), (1024, 14, 256), (16, 112, 96), (24, 56, 144),
                          (144, 56, 24), (32, 28, 192), (96, 14, 576), (320, 7, 1280)]:
            x = torch.randn(n, c, h, h); w = torch.randn(o, c, 1, 1)
            flops, act = 2 * n * h * h * c * o, 4 * n * h * h * (c + o)
            f = lambda: torch.nn.functional.conv2d(x, w)
            t1, t2 = median_s(f, 1), median_s(f, 2)
            print(f"conv1x1 n={n} {c:4d}->{o:4d} @{h:3d}: 1T {t1 * 1e6:8.1f} us ({flops / t1 / 1e9:6.1f} GFLOP/s,"
                  f" {act / t1 / 1e9:5.1f} GB/s)  2T {t2 * 1e6:8.1f} us ({flops / t2 / 1e9:6.1f} GFLOP/s,"
                  f" {act / t2 / 1e9:5.1f} GB/s)  speed-up {t1 / t2:.2f}")


def rate(f, flops, n=30):
    """GFLOP/s of `f` doing `flops`: the median of `n` calls after 5 untimed ones."""
    for _ in range(5): f()
    ts=[]
    for _ in range(n):
        t=time.perf_counter(); f(); ts.append(time.perf_counter()-t)
    return flops/np.median(ts)/1e9


def linear_probe():
    shapes = [(197, 768, 768), (197, 768, 3072), (197, 3072, 768), (128, 768, 768), (128, 768, 3072),
              (512, 768, 768), (128, 384, 384), (128, 384, 1536), (128, 1536, 384), (16, 768, 768)]
    with torch.inference_mode():
        for th in (1, 2, 1, 2):
            torch.set_num_threads(th)
            out = []
            for m, k, n in shapes:
                x, w, b = torch.randn(m, k), torch.randn(n, k), torch.randn(n)
                out.append(f"{m}x{k}x{n} {rate(lambda: torch.nn.functional.linear(x, w, b), 2 * m * k * n):6.1f}")
            print(f"{th}T GFLOP/s: " + " | ".join(out), flush=True)


def stack_probe():
    torch.set_num_interop_threads(1)
    shapes = [(768, 768)] * 4 + [(768, 3072), (3072, 768)]
    distinct = [[(torch.randn(n, k), torch.randn(n)) for (k, n) in shapes] for _ in range(12)]
    reused = [distinct[0]] * 12
    xs = {k: torch.randn(128, k) for (k, _) in shapes}
    flops = 2 * 128 * sum(k * n for (k, n) in shapes) * 12
    weight_mb = 4 * sum(k * n for (k, n) in shapes) * 12 / 1e6

    def run(layers):
        for layer in layers:
            for (w, b) in layer:
                torch.nn.functional.linear(xs[w.shape[1]], w, b)

    print(f"# 72 linear layers, 128 rows, {flops / 1e9:.1f} GFLOP, {weight_mb:.0f} MB of weights")
    with torch.inference_mode():
        for th in (1, 2, 1, 2):
            torch.set_num_threads(th)
            t = {}
            for name, layers in (("distinct", distinct), ("reused", reused)):
                t[name] = median_s(lambda: run(layers), 7)
            extra = t["distinct"] - t["reused"]
            print(f"{th}T: distinct weights {t['distinct'] * 1e3:7.1f} ms ({flops / t['distinct'] / 1e9:6.1f} GFLOP/s)"
                  f"  reused {t['reused'] * 1e3:7.1f} ms ({flops / t['reused'] / 1e9:6.1f} GFLOP/s)"
                  f"  weights cost {extra * 1e3:6.1f} ms ({weight_mb / 1e3 / extra if extra > 0 else float('inf'):5.1f} GB/s of weights)",
                  flush=True)


if "--stack" in sys.argv[1:]:
    stack_probe()
    sys.exit(0)
if "--conv" in sys.argv[1:]:
    conv_probe()
    sys.exit(0)
if "--linear" in sys.argv[1:]:
    linear_probe()
    sys.exit(0)
print("torch cpu capability:", torch.backends.cpu.get_cpu_capability(), "mkl:", torch.backends.mkl.is_available(), "mkldnn:", torch.backends.mkldnn.is_available())
for (m,k,n) in [(512,768,768),(16,768,768),(1,768,3072)]:
    a=torch.randn(m,k); b=torch.randn(k,n)
    lin=torch.nn.Linear(k,n,bias=False).eval()
    with torch.no_grad():
        print(f"torch mm {m}x{k}x{n}: {rate(lambda: torch.mm(a,b), 2*m*k*n):.1f} GFLOP/s; linear {rate(lambda: lin(a), 2*m*k*n):.1f}")
import onnxruntime as ort, onnx
from onnx import helper, TensorProto
for (m,k,n) in [(512,768,768),(16,768,768)]:
    W=np.random.randn(k,n).astype(np.float32)
    g=helper.make_graph([helper.make_node("MatMul",["x","w"],["y"])],"g",[helper.make_tensor_value_info("x",TensorProto.FLOAT,[m,k])],[helper.make_tensor_value_info("y",TensorProto.FLOAT,[m,n])],[onnx.numpy_helper.from_array(W,"w")])
    mdl=helper.make_model(g,opset_imports=[helper.make_opsetid("",17)])
    so=ort.SessionOptions(); so.intra_op_num_threads=1
    s=ort.InferenceSession(mdl.SerializeToString(),so,providers=["CPUExecutionProvider"])
    x=np.random.randn(m,k).astype(np.float32)
    print(f"ort MatMul {m}x{k}x{n}: {rate(lambda: s.run(None,{'x':x}), 2*m*k*n):.1f} GFLOP/s")
