"""Run `trtlint graph` over the real torchvision models of issue 8 (random weights, no download) and print one
Markdown table of their findings per model (recorded in docs/graph-layer.md with the machine named).

    python benchmarks/graph_models.py [--device cpu|cuda] [--models resnet18,...] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FACTORIES = ROOT / "fixtures" / "graph" / "tv_models.py"
CLASSIFIERS = ["resnet18", "resnet50", "mobilenet_v3_large", "efficientnet_b0", "convnext_tiny", "vit_b_16", "swin_t",
               "regnet_y_400mf"]
DETECTOR = "fasterrcnn_mobilenet_v3_large_fpn"


def shapes(name: str) -> list[str]:
    if name == DETECTOR:
        return ["--shapes", "x:1x3x320x320"]
    return ["--min-shapes", "x:1x3x224x224", "--opt-shapes", "x:4x3x224x224", "--max-shapes", "x:32x3x224x224"]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--models", default=",".join([*CLASSIFIERS, DETECTOR]))
    ap.add_argument("--json", default=None)
    ap.add_argument("--timeout", default="900")
    args = ap.parse_args()
    import torch
    import torchvision

    tv_dir = os.path.dirname(torchvision.__file__)
    dev = torch.cuda.get_device_name(0) if args.device.startswith("cuda") else platform.processor() or platform.machine()
    print(f"torch {torch.__version__}, torchvision {torchvision.__version__}, device {args.device} ({dev}), "
          f"{os.cpu_count()} CPUs", flush=True)
    rows, report = [], {}
    for name in args.models.split(","):
        cmd = [sys.executable, "-m", "trtlint.cli", "graph", f"{FACTORIES}:{name}", *shapes(name), "--device",
               args.device, "--timeout", args.timeout, "--isolated", "--output-format", "json"]
        if name == DETECTOR:
            cmd += ["--user-code", tv_dir]
        rec_file = Path(f"/tmp/trtlint-records-{name}-{os.getpid()}.jsonl")
        rec_file.unlink(missing_ok=True)
        t = time.monotonic()
        p = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "TRTLINT_GRAPH_RECORDS": str(rec_file)})
        secs = time.monotonic() - t
        try:
            found = json.loads(p.stdout) if p.stdout.strip() else []
        except ValueError:
            found = []
        records = [json.loads(ln) for ln in rec_file.read_text().splitlines()] if rec_file.exists() else []
        fp16 = [r for r in records if r.get("kind") == "fp16_pass"]
        report[name] = {"exit": p.returncode, "seconds": round(secs, 1), "findings": found,
                        "stderr": p.stderr.strip()[-500:], "fp16_pass": fp16}
        for r in fp16:
            w = r.get("worst") or {}
            print(f"    fp16 pass on {r.get('device')}: {r.get('status')}, worst output {w.get('output')} "
                  f"{w.get('detail', r.get('error', ''))} (relative {w.get('rel', float('nan')):.3g})", flush=True)
        sev = Counter(f["severity"] for f in found)
        codes = Counter(f["code"] for f in found)
        rows.append(f"| {name} | {p.returncode} | {sev.get('error', 0)} | {sev.get('warning', 0)} | {sev.get('note', 0)} "
                    f"| {', '.join(f'{c}x{n}' for c, n in sorted(codes.items())) or '-'} | {secs:.0f} |")
        print(rows[-1], flush=True)
        for f in found:
            path = f["path"].split("site-packages/")[-1]
            print(f"    {path}:{f['line']} {f['code']} [{f['severity']}] {f['message'][:220]}", flush=True)
        if p.returncode == 2:
            print(f"    exit 2: {p.stderr.strip()[-300:]}", flush=True)
    print("\n| model | exit | errors | warnings | notes | codes | seconds |\n|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    if args.json:
        Path(args.json).write_text(json.dumps({"device": f"{args.device} ({dev})", "torch": torch.__version__,
                                               "models": report}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
