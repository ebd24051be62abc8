"""How long, in wall time, ONNX Runtime's intra-op worker keeps a core after a 2-thread run returns: every
thread's on-CPU nanoseconds (/proc/self/task/*/schedstat) sampled every 1 ms for 150 ms after the run; the
worker counts as busy in a sample where it ran more than 0.2 ms. spin_probe.py reads the CPU time only.

    .venv/bin/python spin_wall.py

Session 14, Zen 5 development VM, onnxruntime 1.32: busy until 34.0 ms after the run (median of 20;
32.2-36.6), 32.2 ms of worker CPU time in the 150 ms.
"""
import os, time, numpy as np, statistics
import onnxruntime as ort, onnx
from onnx import helper, TensorProto
dim=256
w=helper.make_tensor("w",TensorProto.FLOAT,[dim,dim],np.full(dim*dim,0.001,np.float32).tobytes(),raw=True)
nodes=[helper.make_node("MatMul",["x" if i==0 else f"y{i-1}","w"],[f"y{i}"]) for i in range(8)]
g=helper.make_graph(nodes,"g",[helper.make_tensor_value_info("x",TensorProto.FLOAT,[64,dim])],[helper.make_tensor_value_info("y7",TensorProto.FLOAT,[64,dim])],[w])
m=helper.make_model(g,opset_imports=[helper.make_opsetid("",17)])
so=ort.SessionOptions(); so.intra_op_num_threads=2; so.inter_op_num_threads=1
s=ort.InferenceSession(m.SerializeToString(),so,providers=["CPUExecutionProvider"])
x=np.random.randn(64,dim).astype(np.float32)
def oncpu():
    out={}
    for t in os.listdir('/proc/self/task'):
        try: out[int(t)]=int(open(f'/proc/self/task/{t}/schedstat').read().split()[0])
        except OSError: pass
    return out
main=os.getpid()
ends=[]; totals=[]
for rep in range(20):
    s.run(None,{'x':x}); time.sleep(0.3)
    s.run(None,{'x':x})
    t0=time.monotonic(); base=oncpu(); last_active=0.0; prev=base
    while time.monotonic()-t0<0.15:
        time.sleep(0.001)
        now=oncpu(); t=time.monotonic()-t0
        for tid,v in now.items():
            if tid!=main and v-prev.get(tid,v)>200_000:  # >0.2 ms on CPU in this ~1 ms sample
                last_active=t
        prev=now
    tot=sum(v-base.get(tid,v) for tid,v in prev.items() if tid!=main)/1e6
    ends.append(last_active*1e3); totals.append(tot)
print(f"worker busy until {statistics.median(ends):.1f} ms after the run (median of 20; {min(ends):.1f}-{max(ends):.1f}); worker CPU in the 150 ms: {statistics.median(totals):.1f} ms")
