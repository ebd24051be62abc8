"""One-thread GEMM rates of PyTorch (`torch.mm`, `nn.Linear`: MKL sgemm) and ONNX Runtime (`MatMul`: MLAS)
on this CPU, beside `mmperf calibrate`'s tuned GEMM: shows which vector width each runtime's matrix products
use (on AMD CPUs MKL runs its AVX2 kernels; MLAS its AVX-512 ones where the CPU has them).

    .venv/bin/python gemm_probe.py

Shapes: 512×768×768 and 16×768×768 (calibrate's large and small GEMMs) and a 1×768×3072 GEMV. Medians of 30
calls after 5 untimed ones.
"""
import time, torch, numpy as np
torch.set_num_threads(1)
print("torch cpu capability:", torch.backends.cpu.get_cpu_capability(), "mkl:", torch.backends.mkl.is_available(), "mkldnn:", torch.backends.mkldnn.is_available())
def rate(f, flops, n=30):
    for _ in range(5): f()
    ts=[]
    for _ in range(n):
        t=time.perf_counter(); f(); ts.append(time.perf_counter()-t)
    return flops/np.median(ts)/1e9
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
