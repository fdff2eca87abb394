"""Benchmark (not a timed test): `trtlint graph` of torchvision resnet50 on CPU against one plain
`torch.onnx.export` of the same model, in the same run. Target from issue 8: the graph lint within 3x.

    python benchmarks/bench_graph.py [--batch 1] [--json out.json]

The graph lint runs everything it does by default (eager runs of 3 input variants under the modes and hooks,
torch.jit.trace and its check, torch.export and its check, the ONNX export from that ExportedProgram, the ONNX
rules and ONNX Runtime at the shapes), in its child process, torch import included; the plain export is timed
in this process after a warm-up import of torch, so the comparison is if anything unfavourable to the lint.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    import torch
    import torchvision

    shape = (args.batch, 3, 224, 224)
    model = torchvision.models.resnet50(weights=None).eval()
    x = torch.randn(*shape)
    with tempfile.TemporaryDirectory() as tmp:
        t = time.monotonic()
        torch.onnx.export(model, (x,), os.path.join(tmp, "r50.onnx"), input_names=["x"])  # torch's default exporter
        export_s = time.monotonic() - t
    cmd = [sys.executable, "-m", "trtlint.cli", "graph", f"{ROOT / 'fixtures/graph/tv_models.py'}:resnet50",
           "--shapes", "x:" + "x".join(map(str, shape)), "--isolated", "--output-format", "json"]
    t = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "TRTLINT_PROGRESS": "1"})
    lint_s = time.monotonic() - t
    found = json.loads(p.stdout) if p.stdout.strip() else []
    result = {"machine": f"{platform.machine()} {os.cpu_count()} CPUs", "torch": torch.__version__,
              "shape": list(shape), "plain_torch_onnx_export_s": round(export_s, 2),
              "trtlint_graph_s": round(lint_s, 2), "ratio": round(lint_s / export_s, 2), "lint_exit": p.returncode,
              "findings": len(found), "progress": p.stderr.strip().splitlines()[-12:]}
    print(json.dumps(result, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
