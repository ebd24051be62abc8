"""ONNX Runtime's element-wise, softmax and normalisation kernels on one thread, each as a chain of 32
identical nodes (so one `run` call's cost is spread over them): time per node, elements per second and the
bytes in and out per second, for BERT-base's shapes at sequence 128. What the predictor charges these
operators (memory-bound at the calibrated bandwidth, or the vector rate) can be compared against it.

    .venv/bin/python ort_ops.py

Medians of 200 calls after 20 untimed ones. Session 13 (Zen 5 VM): Relu 128×3072 23.9 µs, Add 128×768 10.7,
Softmax 12×128×128 39.3, Erf 128×3072 119.6, com.microsoft Gelu 128×3072 151.6, Tanh 128×3072 79.1,
LayerNormalization 128×768 32.6.
"""
import time, numpy as np, onnxruntime as ort, onnx
from onnx import helper, TensorProto
def med(f, n=200):
    for _ in range(20): f()
    ts=[]
    for _ in range(n):
        t=time.perf_counter(); f(); ts.append(time.perf_counter()-t)
    return float(np.median(ts))
def sess(nodes, inputs, outputs, inits=[], opset=17, ms=False):
    g=helper.make_graph(nodes,"g",inputs,outputs,inits)
    ops=[helper.make_opsetid("",opset)]+([helper.make_opsetid("com.microsoft",1)] if ms else [])
    m=helper.make_model(g,opset_imports=ops)
    so=ort.SessionOptions(); so.intra_op_num_threads=1
    return ort.InferenceSession(m.SerializeToString(),so,providers=["CPUExecutionProvider"])
F=TensorProto.FLOAT
def vi(n,s): return helper.make_tensor_value_info(n,F,s)

# chain of 64 identical ops to amortise the call
def chain(op, shape, attrs={}, extra_inputs=[], inits=[], ms=False, n=32):
    nodes=[]; prev="x"
    for i in range(n):
        out=f"t{i}"
        nodes.append(helper.make_node(op,[prev]+extra_inputs,[out],domain="com.microsoft" if ms else "",**attrs)); prev=out
    s=sess(nodes,[vi("x",shape)],[vi(prev,shape)],inits,ms=ms)
    x=np.random.randn(*shape).astype(np.float32)
    t=med(lambda: s.run(None,{"x":x}))/n
    elems=int(np.prod(shape))
    print(f"{op:20} {str(shape):18} {t*1e6:8.1f} µs per op  {elems/t/1e9:6.2f} Gelem/s  {2*elems*4/t/1e9:6.1f} GB/s in+out")
chain("Relu",[128,3072])
chain("Add",[128,768],extra_inputs=["b"],inits=[onnx.numpy_helper.from_array(np.random.randn(768).astype(np.float32),"b")])
chain("Softmax",[12,128,128],attrs={"axis":-1})
chain("Erf",[128,3072])
chain("Gelu",[128,3072],ms=True)
chain("Tanh",[128,3072])
s_=np.random.randn(768).astype(np.float32)
chain("LayerNormalization",[128,768],attrs={"axis":-1},extra_inputs=["sc","bi"],inits=[onnx.numpy_helper.from_array(s_,"sc"),onnx.numpy_helper.from_array(s_,"bi")])
