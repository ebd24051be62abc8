"""`mmperf describe` on the ONNX graphs bench/real exported (PyTorch's TorchScript exporter, opset 17) against
the catalog: parameters and FLOPs per item of every single-graph model in .cache/onnx (issue 16's check
that a described graph matches the catalog's architecture).

    python3 bench/real/describe_check.py [--mmperf target/release/mmperf]

Needs only the exported graphs (run.py --runtime onnxruntime or check.py writes them) and the mmperf binary;
no Python packages. Prints one row per graph and exits 1 when a parameter count differs by more than 0.5 % or
FLOPs by more than 2 % on a transformer (CNN exports fold batch norm into the convolutions, which the
catalog counts apart: their rows are reported, not judged).
"""

import argparse
import json
import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mmperf", default=str(HERE.parent.parent / "target/release/mmperf"))
    args = ap.parse_args()
    catalog = {m["name"]: m for m in json.loads(subprocess.check_output([args.mmperf, "models", "--json"]))}
    bad = 0
    print(f"{'graph':<36} {'params M':>9} {'catalog':>9} {'err %':>6} {'GFLOP/item':>11} {'catalog':>9} {'err %':>6}")
    for d in sorted((HERE / ".cache/onnx").iterdir()):
        f = d / "main.onnx"
        if not f.exists():
            continue  # generating models: prefill/decode graphs, not one forward pass
        name = d.name.rsplit("-b", 1)[0]
        batch = int(d.name.rsplit("-b", 1)[1].split("-")[0])
        out = json.loads(subprocess.check_output([args.mmperf, "describe", str(f), "--json"]))
        c = catalog[name]
        p_err = out["params"] / c["params"] - 1
        f_err = out["gflops"] / batch / c["gflopsPerItem"] - 1
        cnn = c["modelType"] == "vision" and "vit" not in name
        judged = not cnn
        if judged and (abs(p_err) > 0.005 or abs(f_err) > 0.02):
            bad += 1
        print(f"{d.name:<36} {out['params'] / 1e6:>9.2f} {c['params'] / 1e6:>9.2f} {100 * p_err:>6.2f} "
              f"{out['gflops'] / batch:>11.3f} {c['gflopsPerItem']:>9.3f} {100 * f_err:>6.2f}"
              f"{'' if judged else '  (batch norm folded)'}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
