"""Eager against torch.compile (inductor) on this CPU: torchvision models at batch 1, fp32, NCHW, no_grad."""
import statistics, sys, time
import torch, torchvision

def timed(fn, x, n):
    for _ in range(5):
        fn(x)
    ts = []
    for _ in range(n):
        t = time.perf_counter(); fn(x); ts.append(time.perf_counter() - t)
    return statistics.median(ts) * 1e3

torch.manual_seed(0)
names = sys.argv[1:] or ["resnet50", "mobilenet_v2", "efficientnet_b0"]
print("torch", torch.__version__, "threads", torch.get_num_threads())
for name in names:
    m = getattr(torchvision.models, name)().eval()
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        eager = timed(m, x, 30)
        t0 = time.perf_counter()
        c = torch.compile(m)
        c(x)
        compile_s = time.perf_counter() - t0
        comp = timed(c, x, 30)
        eager2 = timed(m, x, 30)
    print(f"{name:18s} eager {eager:8.2f} ms  compiled {comp:8.2f} ms  eager again {eager2:8.2f} ms  ratio {min(eager,eager2)/comp:5.2f}  compile {compile_s:5.1f} s", flush=True)
