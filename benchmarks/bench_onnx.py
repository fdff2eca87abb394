#!/usr/bin/env python3
"""Seconds per ONNX model, trtlint beside `polygraphy check lint`, as whole commands in the same run.

Models: torchvision resnet50 exported by the TorchScript exporter (weights embedded, ~100 MB) and by the dynamo
exporter (graph in the .onnx, weights in external data). Peak memory (max RSS) shows that trtlint leaves the
weights alone. Needs torch, torchvision, onnxscript (for the dynamo export) and polygraphy + onnxruntime.
Writes benchmarks/results/onnx_speed.json.
"""
from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path

OUT = Path(__file__).parent / "results" / "onnx_speed.json"
CACHE = Path(os.environ.get("TRTLINT_BENCH_DIR", Path(__file__).resolve().parent.parent / ".bench"))


def export() -> dict[str, Path]:
    import torch
    import torchvision

    CACHE.mkdir(exist_ok=True)
    embedded, dynamo = CACHE / "resnet50_op17.onnx", CACHE / "dynamo" / "resnet50_dynamo.onnx"
    model = torchvision.models.resnet50(weights=None).eval()
    x = torch.randn(1, 3, 224, 224)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if not embedded.exists():
            torch.onnx.export(model, (x,), str(embedded), opset_version=17, dynamo=False, input_names=["images"],
                              output_names=["logits"], dynamic_axes={"images": {0: "batch"}, "logits": {0: "batch"}})
        if not dynamo.exists():
            dynamo.parent.mkdir(exist_ok=True)
            prog = torch.onnx.export(model, (x,), dynamo=True, input_names=["images"], output_names=["logits"],
                                     dynamic_shapes=({0: torch.export.Dim("batch")},))
            prog.save(str(dynamo), external_data=True)
    return {"torchscript_embedded": embedded, "dynamo_external": dynamo}


def timed(cmd: list[str]) -> tuple[float, int]:
    t0 = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return time.perf_counter() - t0, max(before, after)


def best(cmd: list[str], n: int) -> dict[str, float]:
    runs = [timed(cmd) for _ in range(n)]
    return {"seconds": round(min(r[0] for r in runs), 3)}


def rss(cmd: list[str]) -> int:
    """Peak RSS of one run, in MB (a fresh interpreter so earlier children do not count)."""
    code = ("import resource,subprocess,sys;subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,"
            "stderr=subprocess.DEVNULL);print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", code, *cmd], capture_output=True, text=True).stdout
    return round(int(out.strip() or 0) / 1024)


def main() -> int:
    models = export()
    trt = [sys.executable, "-m", "trtlint.cli", "check", "--isolated", "--target", "trt10.8"]
    poly = shutil.which("polygraphy")
    result: dict[str, object] = {"cpu_count": os.cpu_count()}
    for label, path in models.items():
        size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
        row: dict[str, object] = {"file_mb": round(size / 1e6, 1)}
        row["trtlint_seconds"] = best([*trt, str(path)], 5)["seconds"]
        row["trtlint_peak_rss_mb"] = rss([*trt, str(path)])
        if poly:
            row["polygraphy_seconds"] = best([poly, "check", "lint", str(path)], 3)["seconds"]
            row["polygraphy_peak_rss_mb"] = rss([poly, "check", "lint", str(path)])
            row["speedup"] = round(row["polygraphy_seconds"] / row["trtlint_seconds"], 1)  # type: ignore[operator]
        result[label] = row
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
