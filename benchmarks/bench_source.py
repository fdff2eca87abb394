#!/usr/bin/env python3
"""Lines per second of source linting, trtlint (all rules) beside TorchFix, on the same files in the same run.

Files: torchvision's classification model sources (torchvision/models/*.py) and timm's models/ and layers/.
Both tools run as whole commands (start-up included), each with its default parallelism (trtlint also with
-j 1), best of --repeat runs for trtlint, one run of TorchFix (it takes minutes). TorchFix must be installed (pip install torchfix); --skip-torchfix measures trtlint alone.
Writes benchmarks/results/source_speed.json.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

OUT = Path(__file__).parent / "results" / "source_speed.json"


def files() -> list[str]:
    out: list[str] = []
    for pkg, subs in (("torchvision", ["models"]), ("timm", ["models", "layers"])):
        spec = importlib.util.find_spec(pkg)
        if spec is None or not spec.submodule_search_locations:
            raise SystemExit(f"{pkg} is not installed")
        root = Path(list(spec.submodule_search_locations)[0])
        for sub in subs:
            pattern = "*.py" if pkg == "torchvision" else "**/*.py"
            out += sorted(str(p) for p in (root / sub).glob(pattern))
    return out


def timed(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-torchfix", action="store_true")
    args = ap.parse_args()
    paths = files()
    lines = sum(Path(p).read_text(encoding="utf-8", errors="replace").count("\n") for p in paths)
    base = [sys.executable, "-m", "trtlint.cli", "check", "--isolated", "--select", "ALL", "--output-format", "concise"]
    one = min(timed([*base, "-j", "1", *paths]) for _ in range(args.repeat))
    trt = min(timed([*base, *paths]) for _ in range(args.repeat))  # default: one worker per CPU
    result = {
        "files": len(paths), "lines": lines, "cpu_count": os.cpu_count(), "python": platform.python_version(),
        "trtlint_one_process_seconds": round(one, 3), "trtlint_one_process_lines_per_second": round(lines / one),
        "trtlint_seconds": round(trt, 3), "trtlint_lines_per_second": round(lines / trt),
    }
    tf = shutil.which("torchfix")
    if tf and not args.skip_torchfix:
        tf_time = timed([tf, "--select", "ALL", *paths])
        result.update(torchfix_seconds=round(tf_time, 3), torchfix_lines_per_second=round(lines / tf_time),
                      ratio=round(tf_time / trt, 1))
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    for k, v in result.items():
        print(f"{k:28} {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
