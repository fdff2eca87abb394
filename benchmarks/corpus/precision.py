#!/usr/bin/env python3
"""Precision of trtlint's errors and warnings on the held-out corpus: findings joined with judgements.

Reads benchmarks/results/corpus_findings.json (written by run_corpus.py) and a judgements file
(default benchmarks/corpus/judgements.yaml). A judgement is keyed by (repo, path, code, normalised source
line), not by line number, so it survives unrelated edits above it; its `line` is informational. Every
error- or warning-level finding with that key takes its verdict (TP or FP). Notes are not judged.

Prints precision (TP / judged) overall, per rule, per code base and per severity, with a 95% Wilson interval,
then the findings nobody judged and the judgements that match no finding (stale). Writes
benchmarks/results/corpus_precision.json. Exits 1 when an error or warning finding is unjudged (unless
--allow-unjudged, for a sample file such as judgements_baseline_sample.yaml), 2 on a malformed judgement.

--sample N [--seed S] prints a YAML skeleton for N random unjudged error/warning findings (to judge a sample);
--show prints every unjudged error/warning finding with the code around it (needs the trees, --cache).
"""
from __future__ import annotations

import argparse
import json
import math
import random
import re
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
FINDINGS = HERE.parent / "results" / "corpus_findings.json"
JUDGEMENTS = HERE / "judgements.yaml"
OUT = HERE.parent / "results" / "corpus_precision.json"
# Defaults (findings, judgements, output) per named corpus; v1 keeps the original file names.
CORPORA = {"v1": (FINDINGS, JUDGEMENTS, OUT),
           "v2": (HERE.parent / "results" / "corpus_v2_findings.json", HERE / "judgements_v2.yaml",
                  HERE.parent / "results" / "corpus_v2_precision.json"),
           "v3": (HERE.parent / "results" / "corpus_v3_findings.json", HERE / "judgements_v3.yaml",
                  HERE.parent / "results" / "corpus_v3_precision.json"),
           "v4": (HERE.parent / "results" / "corpus_v4_findings.json", HERE / "judgements_v4.yaml",
                  HERE.parent / "results" / "corpus_v4_precision.json"),
           "v5": (HERE.parent / "results" / "corpus_v5_findings.json", HERE / "judgements_v5.yaml",
                  HERE.parent / "results" / "corpus_v5_precision.json"),
           "v6": (HERE.parent / "results" / "corpus_v6_findings.json", HERE / "judgements_v6.yaml",
                  HERE.parent / "results" / "corpus_v6_precision.json"),
           "v7": (HERE.parent / "results" / "corpus_v7_findings.json", HERE / "judgements_v7.yaml",
                  HERE.parent / "results" / "corpus_v7_precision.json")}
JUDGED = ("error", "warning")
Key = tuple[str, str, str, str]


def normalise(line: str) -> str:
    return " ".join(line.split())


def key_of(item: dict[str, Any]) -> Key:
    return (str(item["repo"]), str(item["path"]), str(item["code"]), normalise(str(item["source"])))


def load_judgements(path: Path) -> dict[Key, dict[str, Any]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
    entries = (data or {}).get("judgements") or []
    out: dict[Key, dict[str, Any]] = {}
    for i, j in enumerate(entries):
        missing = {"repo", "path", "code", "source", "verdict", "reason"} - set(j)
        if missing or j["verdict"] not in ("TP", "FP") or not str(j["reason"]).strip():
            raise SystemExit(f"{path}: judgement {i} ({j.get('path')}:{j.get('line')}) is malformed: "
                             f"needs repo, path, code, source, verdict TP/FP and a reason")
        k = key_of(j)
        if k in out and out[k]["verdict"] != j["verdict"]:
            raise SystemExit(f"{path}: judgement {i} contradicts an earlier one for the same key {k}")
        out[k] = j
    return out


def wilson(tp: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return (0.0, 0.0)
    p = tp / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def stat(tp: int, fp: int) -> dict[str, Any]:
    n = tp + fp
    lo, hi = wilson(tp, n)
    return {"tp": tp, "fp": fp, "judged": n, "precision": round(tp / n, 4) if n else None,
            "wilson95": [round(lo, 4), round(hi, 4)]}


def fmt(name: str, s: dict[str, Any], total: int | None = None) -> str:
    prec = f"{100 * s['precision']:5.1f}%" if s["precision"] is not None else "   n/a"
    extra = f" of {total}" if total is not None and total != s["judged"] else ""
    return (f"  {name:<22} {prec}  ({s['tp']} TP / {s['judged']} judged{extra}; 95% CI "
            f"{100 * s['wilson95'][0]:.0f}-{100 * s['wilson95'][1]:.0f}%)")


def yaml_entry(f: dict[str, Any]) -> str:
    return (f"  - repo: {f['repo']}\n    path: {f['path']}\n    line: {f['line']}\n    code: {f['code']}\n"
            f"    source: {json.dumps(f['source'])}\n    verdict: \n    reason: \n")


def enclosing(src: list[str], line: int) -> list[str]:
    """The `class`/`def` lines that enclose `line`, outermost first (by indentation): whose code is it?"""
    if not 0 < line <= len(src):
        return []
    indent = len(src[line - 1]) - len(src[line - 1].lstrip())
    chain: list[str] = []
    for n in range(line - 1, 0, -1):
        text = src[n - 1]
        depth = len(text) - len(text.lstrip())
        if text.strip() and depth < indent and re.match(r"\s*(async\s+)?(def|class)\s", text):
            chain.append(f"{n}: {text.strip()[:100]}")
            indent = depth
            if depth == 0:
                break
    return chain[::-1]


def show(f: dict[str, Any], cache: Path, context: int) -> None:
    print(f"### {f['repo']} {f['path']}:{f['line']} {f['code']} [{f['severity']}] {f['message']}")
    try:
        src = (cache / f["repo"] / f["path"]).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        print("   (source not in the cache)")
        return
    print("   in: " + " / ".join(enclosing(src, f["line"])))
    for n in range(max(1, f["line"] - context), min(len(src), f["line"] + context) + 1):
        print(f"{'>' if n == f['line'] else ' '}{n:5d} {src[n - 1]}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", choices=sorted(CORPORA), default="v1",
                    help="which corpus the default findings, judgements and output files are of (default v1)")
    ap.add_argument("--findings", type=Path)
    ap.add_argument("--judgements", type=Path)
    ap.add_argument("-o", "--output", type=Path)
    ap.add_argument("--allow-unjudged", action="store_true", help="precision of the judged ones only; exit 0")
    ap.add_argument("--sample", type=int, help="print a YAML skeleton for this many random unjudged findings")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--show", action="store_true", help="print unjudged findings with their code (needs --cache)")
    ap.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "trtlint-corpus")
    ap.add_argument("--context", type=int, default=6)
    args = ap.parse_args()
    d_findings, d_judgements, d_out = CORPORA[args.corpus]
    args.findings = args.findings or d_findings
    args.judgements = args.judgements or d_judgements
    args.output = args.output or d_out

    run = json.loads(args.findings.read_text(encoding="utf-8"))
    findings = [f for f in run["findings"] if f["severity"] in JUDGED]
    judgements = load_judgements(args.judgements)
    unjudged = [f for f in findings if key_of(f) not in judgements]

    if args.sample is not None:
        pick = random.Random(args.seed).sample(unjudged, min(args.sample, len(unjudged)))
        print("judgements:")
        for f in sorted(pick, key=lambda f: (f["repo"], f["path"], f["line"])):
            print(yaml_entry(f), end="")
        return 0
    if args.show:
        for f in unjudged:
            show(f, args.cache, args.context)
        return 0

    used: set[Key] = set()
    counts: dict[str, dict[str, list[int]]] = {"rule": defaultdict(lambda: [0, 0]), "repo": defaultdict(lambda: [0, 0]),
                                               "severity": defaultdict(lambda: [0, 0])}
    tp = fp = 0
    totals: dict[str, dict[str, int]] = {"rule": defaultdict(int), "repo": defaultdict(int), "severity": defaultdict(int)}
    for f in findings:
        for dim, val in (("rule", f["code"]), ("repo", f["repo"]), ("severity", f["severity"])):
            totals[dim][val] += 1
        j = judgements.get(key_of(f))
        if j is None:
            continue
        used.add(key_of(f))
        is_tp = j["verdict"] == "TP"
        tp += is_tp
        fp += not is_tp
        for dim, val in (("rule", f["code"]), ("repo", f["repo"]), ("severity", f["severity"])):
            counts[dim][val][0 if is_tp else 1] += 1
    stale = [j for k, j in judgements.items() if k not in used]

    ident = run.get("trtlint", {})
    print(f"trtlint {ident.get('version')} at {ident.get('commit')} ({ident.get('branch')}); "
          f"{run['total']['files']} files, {run['total']['lines']} lines in {len(run['codebases'])} code bases")
    print(f"error and warning findings: {len(findings)}; judged: {tp + fp}; unjudged: {len(unjudged)}; "
          f"judgements file: {args.judgements.name}")
    overall = stat(tp, fp)
    print(fmt("overall", overall, len(findings)))
    result: dict[str, Any] = {"trtlint": ident, "judgements": args.judgements.name, "findings": len(findings),
                              "overall": overall, "unjudged": len(unjudged), "stale": len(stale)}
    for dim in ("severity", "rule", "repo"):
        print(f"per {dim}:")
        result[f"per_{dim}"] = {}
        for val in sorted(totals[dim]):
            s = stat(*counts[dim][val])
            result[f"per_{dim}"][val] = {**s, "findings": totals[dim][val]}
            print(fmt(val, s, totals[dim][val]))
    result["unjudged_findings"] = [{k: f[k] for k in ("repo", "path", "line", "code", "source")} for f in unjudged]
    result["stale_judgements"] = [{k: j.get(k) for k in ("repo", "path", "line", "code", "source")} for j in stale]
    if unjudged:
        print(f"unjudged ({len(unjudged)}):")
        for f in unjudged[:50]:
            print(f"  {f['repo']} {f['path']}:{f['line']} {f['code']} {f['source'][:80]}")
        if len(unjudged) > 50:
            print(f"  ... and {len(unjudged) - 50} more")
    if stale:
        print(f"stale judgements, matching no finding ({len(stale)}):")
        for j in stale:
            print(f"  {j['repo']} {j['path']}:{j.get('line')} {j['code']} {str(j['source'])[:80]}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.output}")
    return 0 if (args.allow_unjudged or not unjudged) else 1


if __name__ == "__main__":
    sys.exit(main())
