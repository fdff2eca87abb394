#!/usr/bin/env python3
"""Wall time of a single-file run (the pre-commit case), this trtlint beside another one, interleaved.

Each file is linted by both executables in turn (``--isolated --select ALL``), RUNS times, after one warm-up run
each (so both read cached bytecode); the median and the minimum per file are printed and written to
benchmarks/results/single_file.json. The other executable is typically a virtual environment of an earlier commit:

    git worktree add --detach /tmp/base <commit> && python3 -m venv /tmp/vbase && /tmp/vbase/bin/pip install -e /tmp/base
    python benchmarks/bench_single_file.py --baseline /tmp/vbase/bin/trtlint FILE...
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

OUT = Path(__file__).parent / "results" / "single_file.json"


def once(exe: list[str], path: str) -> float:
    t0 = time.perf_counter()
    subprocess.run([*exe, "--isolated", "--select", "ALL", path], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+")
    ap.add_argument("--baseline", required=True, help="the other trtlint executable")
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    this = [str(Path(sys.executable).parent / "trtlint")]  # the console script, as pre-commit runs it
    other = [shutil.which(args.baseline) or args.baseline]
    rows = []
    for path in args.files:
        once(this, path), once(other, path)  # warm-up: bytecode and file cache
        a: list[float] = []
        b: list[float] = []
        for _ in range(args.runs):
            a.append(once(this, path))
            b.append(once(other, path))
        rows.append({"file": path, "lines": Path(path).read_text(errors="replace").count("\n"),
                     "this_median_s": round(statistics.median(a), 4), "this_min_s": round(min(a), 4),
                     "baseline_median_s": round(statistics.median(b), 4), "baseline_min_s": round(min(b), 4)})
    result = {"baseline": args.baseline, "runs": args.runs, "files": rows}
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    for r in rows:
        print(f"{Path(r['file']).name:32} {r['lines']:6} lines  this {r['this_median_s']:.3f} s (min {r['this_min_s']:.3f})"
              f"  baseline {r['baseline_median_s']:.3f} s (min {r['baseline_min_s']:.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
