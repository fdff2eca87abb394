#!/usr/bin/env python3
"""Per-rule precision of trtlint's errors and warnings at each corpus's first (held-out) measurement.

Each real-code corpus v1-v6 was measured once by code nobody had tuned on it (its ``*_baseline`` findings and
judgements), then used for tuning; only those first measurements say how a rule does on code it has never seen.
This joins them (the same keys as precision.py) and prints, per rule, how many of the errors and warnings were
judged true, with a 95% Wilson interval. It is the measurement behind the severity of the model-code rules
(README, "Severity of the model-code rules"; lint/analysis/declared.py).

With ``--caches DIR1,...,DIR6`` (the trees run_corpus.py brought, one per corpus, in order v1-v6) it also splits the
model-code findings by whether an export call of their code base reaches the class or function that holds them
(the evidence a run finds by itself, before any ``models`` are declared).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
RESULTS = HERE.parent / "results"
sys.path.insert(0, str(HERE))
from precision import key_of, load_judgements, wilson  # noqa: E402

BASELINES = [  # corpus file, findings at the first measurement, judgements of those findings
    ("corpus.yaml", "corpus_findings_baseline.json", "judgements_baseline.yaml"),
    ("corpus_v2.yaml", "corpus_v2_findings_baseline.json", "judgements_v2_baseline.yaml"),
    ("corpus_v3.yaml", "corpus_v3_findings_baseline.json", "judgements_v3_baseline.yaml"),
    ("corpus_v4.yaml", "corpus_v4_findings_baseline.json", "judgements_v4_baseline.yaml"),
    ("corpus_v5.yaml", "corpus_v5_findings_baseline.json", "judgements_v5_baseline.yaml"),
    ("corpus_v6.yaml", "corpus_v6_findings_baseline.json", "judgements_v6_baseline.yaml"),
]
MODEL_CODE = ("TRT101", "TRT102", "TRT103", "TRT104", "TRT105", "TRT106")


def family(code: str) -> str:
    return code if code in MODEL_CODE else "TRT4xx" if code.startswith("TRT4") else "other"


def export_reached(cache: Path, corpus: str, repos: set[str]) -> dict[str, Any]:
    """Per code base: (the run index, the names an export call of the code base certainly reaches)."""
    from trtlint.config import Config
    from trtlint.runner import Input, NotebooksWanted, build_runner, discover

    out: dict[str, Any] = {}
    for e in yaml.safe_load((HERE / corpus).read_text(encoding="utf-8"))["codebases"]:
        if e["name"] not in repos:
            continue
        old = os.getcwd()
        os.chdir(cache / e["name"])
        try:
            runner = build_runner(Config())
            items = [i for i in discover(e.get("subpaths") or ["."], runner.config, False, NotebooksWanted(True))
                     if isinstance(i, Input)]
            index = runner.build_index(items)
        finally:
            os.chdir(old)
        seen: set[str] = set()
        if index is not None:  # a lower bound, like analysis.declared: it does not give up at a checkpoint
            starts = [r.name for r in index.roots if r.resolved]
            starts += [b.name for r in index.roots if r.resolved for b in index._enclosing(r)]
            seen = index.reached_from(starts) or set()
        out[e["name"]] = (index, seen)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--caches", help="comma-separated trees of v1-v6 (run_corpus.py --cache), for the export split")
    args = ap.parse_args()
    caches = [Path(c) for c in args.caches.split(",")] if args.caches else []
    per: dict[str, Counter[str]] = defaultdict(Counter)
    split: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for i, (corpus, findings, judgements) in enumerate(BASELINES):
        judged = load_judgements(HERE / judgements)
        found = [f for f in json.loads((RESULTS / findings).read_text(encoding="utf-8"))["findings"]
                 if f["severity"] in ("error", "warning")]
        reached = export_reached(caches[i], corpus, {f["repo"] for f in found}) if caches else {}
        for f in found:
            j = judged.get(key_of(f))
            verdict = j["verdict"] if j else "unjudged"
            per[family(f["code"])][verdict] += 1
            if f["code"] in MODEL_CODE and f["repo"] in reached:
                from trtlint.analysis.declared import block_at

                index, seen = reached[f["repo"]]
                b = block_at(index, f["path"], f["line"]) if index is not None else None
                where = "reached by an export call" if b is not None and b.name in seen else "not reached"
                split[(f["code"], where)][verdict] += 1
    print("first (held-out) measurement of v1-v6: errors and warnings judged true, per rule")
    for name in sorted(per):
        c = per[name]
        n = c["TP"] + c["FP"]
        lo, hi = (100 * x for x in wilson(c["TP"], n))
        print(f"  {name:7s} {c['TP']:4d} of {n:4d}  {100 * c['TP'] / max(n, 1):5.1f}%  (95% CI {lo:.0f}-{hi:.0f}%)"
              + (f"  [{c['unjudged']} unjudged]" if c["unjudged"] else ""))
    if split:
        print("model-code findings by whether an export call of the code base reaches them")
        for (code, where), c in sorted(split.items()):
            n = c["TP"] + c["FP"]
            print(f"  {code} {where:26s} {c['TP']:4d} of {n:4d}  {100 * c['TP'] / max(n, 1):5.1f}%")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
