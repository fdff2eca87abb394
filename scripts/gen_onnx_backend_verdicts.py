#!/usr/bin/env python3
"""trtlint's verdict on every ONNX backend node test case, per target, beside the upstream operator table and the
parser's own backend test list.

The installed onnx package ships generators, not files: onnx.backend.test.case.node.collect_testcases() builds
~1,900 small models. Each is linted in memory with the ONNX rules for each target. Two documents come out:

- docs/onnx-backend-verdicts.md: each case's verdict beside the target's onnx-tensorrt table ("Y" for every
  operator of the case); where they disagree, the finding that decided.
- docs/onnx-parser-agreement.md: the verdicts beside the include/exclude patterns of onnx-tensorrt's
  ``onnx_backend_test.py`` at each release, matched the way ``onnx.backend.test.runner.Runner`` matches them
  (``re.search`` over the device test name, ``<case>_cuda``); where the two disagree, the deciding finding and
  which of the two the parser source supports (facts in scripts/upstream/onnx-tensorrt/parser-facts.json).

``--limit N`` lints only the first N cases.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

from trtlint.compat import Target
from trtlint.config import Config
from trtlint.registry import all_rules
from trtlint.rule import OnnxRule
from trtlint.runner import Runner

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "onnx-backend-verdicts.md"
AGREEMENT = ROOT / "docs" / "onnx-parser-agreement.md"
FACTS = ROOT / "scripts" / "upstream" / "onnx-tensorrt" / "parser-facts.json"
TARGETS = ("trt8.6", "trt10.0", "trt10.1", "trt10.16", "trt11.1")
# releases whose source was not obtainable as a git tree: whose facts stand in, and why that is fair
STAND_IN = {"10.16": "10.1", "11.1": "10.1"}


def cases() -> list:
    from onnx.backend.test.case.node import collect_testcases

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sorted(collect_testcases(), key=lambda c: c.name)


def facts() -> dict[str, Any]:
    return json.loads(FACTS.read_text(encoding="utf-8"))


def in_backend_list(name: str, patterns: dict[str, list[str]]) -> bool:
    """onnx.backend.test.runner.Runner: skipped unless an include pattern searches the device test name, and
    skipped when an exclude pattern does. onnx-tensorrt's backend runs on CUDA only."""
    test = f"{name}_cuda"
    if patterns["include"] and not any(re.search(p, test) for p in patterns["include"]):
        return False
    return not any(re.search(p, test) for p in patterns["exclude"])


def _all_ops(graph: Any) -> set[tuple[str, str]]:
    """(domain, operator) of every node, If/Loop/Scan bodies included."""
    out: set[tuple[str, str]] = set()
    for node in graph.node:
        out.add((node.domain, node.op_type))
        for a in node.attribute:
            for g in ([a.g] if a.HasField("g") else []) + list(a.graphs):
                out |= _all_ops(g)
    return out


def verdicts(limit: int | None = None) -> tuple[list[dict], str]:
    import onnx

    onnx_rules = {c for c, r in all_rules().items() if issubclass(r, OnnxRule)}
    runners = {t: Runner(Config(), Target.parse(t), onnx_rules) for t in TARGETS}
    known = facts()
    rows = []
    for case in cases()[:limit]:
        ops = sorted({n.op_type for n in case.model.graph.node})
        domains = sorted({n.domain for n in case.model.graph.node if n.domain not in ("", "ai.onnx")})
        nested = _all_ops(case.model.graph)
        row = {"case": case.name, "ops": ops, "domains": domains,
               "all_ops": sorted({op for dom, op in nested if dom in ("", "ai.onnx")}),
               "all_domains": sorted({dom for dom, _ in nested if dom not in ("", "ai.onnx")}),
               "opset": next((o.version for o in case.model.opset_import if o.domain in ("", "ai.onnx")), None),
               "targets": {}}
        for t, runner in runners.items():
            found = runner.lint_onnx_model(case.model, case.name)
            errors = sorted((f for f in found if f.severity.value == "error"), key=lambda f: (f.code, f.message))
            warns = sorted({f.code for f in found if f.severity.value == "warning"})
            table = runner.target.operators()
            upstream = all((table.get(op) or {}).get("supported") for op in ops)
            release = runner.target.trt_str
            patterns = known[STAND_IN.get(release, release)]["backend_test"]
            row["targets"][t] = {
                "ok": not errors,
                "codes": sorted({f.code for f in errors}),
                "warnings": warns,
                "upstream": upstream,
                "listed": in_backend_list(case.name, patterns),
                "why": errors[0].message if errors else "",
                "errors": [(f.code, f.message, f.hint or "") for f in errors],
            }
        rows.append(row)
    return rows, onnx.__version__


def render(rows: list[dict], onnx_version: str) -> str:
    out = [
        "# trtlint on the ONNX backend node test cases",
        "",
        f"Generated by `scripts/gen_onnx_backend_verdicts.py` from the {len(rows)} node test cases of onnx "
        f"{onnx_version} (`onnx.backend.test.case.node.collect_testcases()`), linted in memory with the ONNX rules.",
        "A verdict is **ok** when trtlint reports no error for the target (warnings and notes allowed). *Table* is "
        "the target's onnx-tensorrt operator table: Y when it marks every operator of the case supported. Where the "
        "two disagree, the last column quotes the finding that decided (the first target that disagrees). The "
        "comparison with the parser's own backend test list, judged from the parser source, is in "
        "[onnx-parser-agreement.md](onnx-parser-agreement.md).",
        "",
        "| target | cases | trtlint ok | trtlint error | agrees with table | disagrees |",
        "|---|---|---|---|---|---|",
    ]
    for t in TARGETS:
        c: Counter = Counter()
        for r in rows:
            v = r["targets"][t]
            c["ok" if v["ok"] else "error"] += 1
            c["agree" if v["ok"] == bool(v["upstream"]) else "disagree"] += 1
        out.append(f"| {t} | {len(rows)} | {c['ok']} | {c['error']} | {c['agree']} | {c['disagree']} |")
    reasons: Counter = Counter()
    for r in rows:
        for t in TARGETS:
            v = r["targets"][t]
            if v["ok"] != bool(v["upstream"]):
                reasons[(t, ",".join(v["codes"]) or "none")] += 1
    out += ["", "Why they disagree (target, deciding rule: cases): "
            + "; ".join(f"{t} {code}: {n}" for (t, code), n in sorted(reasons.items())) + ".",
            "TRT301 disagreements are nodes using a newer opset's meaning that the target's importer misreads or "
            "refuses; TRT305 ones use data types the target (or the operator) cannot take although the operator is "
            "in its table; TRT304 ones break a stated or source-enforced restriction; TRT303 ones use an operator "
            "of another domain or one the table does not list.", ""]
    head = " | ".join(TARGETS)
    out += [f"| case | operators | opset | {head} | explanation |", "|---|---|---|" + "---|" * len(TARGETS) + "---|"]
    for r in rows:
        cells, why = [], ""
        for t in TARGETS:
            v = r["targets"][t]
            mark = "ok" if v["ok"] else "✗ " + ",".join(v["codes"])
            table = "Y" if v["upstream"] else "N"
            agree = v["ok"] == bool(v["upstream"])
            cells.append(f"{mark} (table {table}){'' if agree else ' ≠'}")
            if not agree and not why:
                why = f"{t}: {v['why']}".replace("|", "\\|")
        out.append(f"| {r['case']} | {' '.join(r['ops'])} | {r['opset']} | {' | '.join(cells)} | {why} |")
    return "\n".join(out) + "\n"


# ----------------------------------------------------------------------------------------------- the referee
def _release(t: str) -> str:
    return Target.parse(t).trt_str


# Restrictions whose enforcement was read in the source by hand: (op, input or attribute) -> releases, what it does.
_POOL = "poolingHelper never passes dilations to the layer, so the engine pools as if they were 1 (silently wrong)"
CHECKED_IN_SOURCE: dict[tuple[str, str], tuple[tuple[str, ...], str]] = {
    **{(op, "axes"): (("8.6", "10.0", "10.1"), "reduceTensor asserts the axes input is an initializer")
       for op in ("ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceMax", "ReduceMean",
                  "ReduceMin", "ReduceProd", "ReduceSum", "ReduceSumSquare")},
    ("Squeeze", "axes"): (("8.6", "10.0", "10.1"), "the Squeeze importer asserts its axes input is an initializer"),
    ("Unsqueeze", "axes"): (("8.6", "10.0", "10.1"), "the Unsqueeze importer asserts its axes values are known "
                                                     "while building"),
    ("Slice", "axes"): (("8.6", "10.0", "10.1"), "the Slice importer asserts its axes values are known"),
    ("CumSum", "axis"): (("8.6", "10.0", "10.1"), "the CumSum importer asserts its axis input is an initializer"),
    ("Resize", "coordinate_transformation_mode"): (("8.6", "10.0", "10.1"), "the Resize importer asserts on any "
                                                                            "other coordinate transformation mode"),
    ("AveragePool", "dilations"): (("10.0", "10.1"), _POOL),
    ("MaxPool", "dilations"): (("10.0", "10.1"), _POOL),
}


def judge_error(t: str, row: dict, known: dict[str, Any]) -> tuple[str, str]:
    """(deciding finding, who is right and why) for a case where trtlint reports an error: the first error."""
    v = row["targets"][t]
    release = _release(t)
    src = known.get(release)
    facts_of = src or known[STAND_IN.get(release, "10.1")]
    src_note = "" if src else f" (source of {release} not obtainable: {STAND_IN.get(release, '10.1')}'s stands in)"
    code, message, hint = v["errors"][0]
    deciding = f"{code}: {message}"
    if code == "TRT301":
        return deciding, f"trtlint: {hint.removeprefix('parser source: ')}"
    if code == "TRT303":
        missing = [op for op in row["all_ops"] if op not in facts_of["importers"]]
        if row["all_domains"] or missing:
            what = ", ".join(missing) or "an operator of domain " + ", ".join(row["all_domains"])
            return deciding, f"trtlint: no importer for {what} in the parser source{src_note}"
        return deciding, f"list: the parser source has an importer for every operator; the table marks one unsupported{src_note}"
    if code == "TRT305":
        m = re.search(r"is ([A-Z0-9]+), which TensorRT", message)
        if m:
            convertible = facts_of["convertible_types"]
            if m.group(1) not in convertible:
                return deciding, (f"trtlint: convertDtype has no mapping for {m.group(1)} "
                                  f"(it maps {', '.join(convertible)}){src_note}")
            return deciding, f"trtlint (release notes: {m.group(1)} support){src_note}"
        if "importer refuses" in message:
            return deciding, "trtlint: the importer refuses the type (notInvalidType)"
        if "operator table lists" in message:
            return deciding, "trtlint, from the table's per-operator types (their enforcement was not traced in the source)"
        if "UINT8 inside the network" in message:
            return deciding, ("trtlint, from the documented data-type rules (UINT8 only at network inputs and "
                              "outputs; not traced in the source)")
        return deciding, "trtlint (INT64 beyond INT32, clamped by the 8.x cast)"
    if code == "TRT304":
        if "reduceTensor" in hint:
            return deciding, f"trtlint: {hint.split(': ', 1)[-1]}"
        op = re.search(r"\((\w+)\)", message)
        what_in = (re.search(r"input `(\w+)` must be an initializer", message)
                   or re.search(r"\): (\w+)=", message))
        releases, what = CHECKED_IN_SOURCE.get((op.group(1) if op else "", what_in.group(1) if what_in else ""),
                                               ((), ""))
        base = release if src else STAND_IN.get(release, "10.1")
        if base in releases:
            return deciding, f"trtlint: {what}{src_note}"
        return deciding, "trtlint, from the table's stated restriction (its enforcement was not traced in the source)"
    return deciding, f"trtlint's own {code} check (a graph-level limit, not traced in the parser source)"


def judge(t: str, row: dict, known: dict[str, Any]) -> tuple[str, str, str]:
    """(kind, deciding finding, who is right and why) for one case at one target where list and trtlint disagree.
    kind: 'listed-but-error' or 'unlisted-but-ok'."""
    v = row["targets"][t]
    release = _release(t)
    src = known.get(release)
    facts_of = src or known[STAND_IN.get(release, "10.1")]
    src_note = "" if src else f" (source of {release} not obtainable: {STAND_IN.get(release, '10.1')}'s stands in)"
    table = Target.parse(t).operators()
    if v["listed"] and not v["ok"]:
        deciding, right = judge_error(t, row, known)
        return "listed-but-error", deciding, right
    ops_without = [op for op in row["all_ops"] if op not in facts_of["importers"]]
    if not ops_without and not row["all_domains"]:
        warn = f" (warnings: {', '.join(v['warnings'])})" if v["warnings"] else ""
        return "unlisted-but-ok", f"no error{warn}", (f"trtlint: every operator has an importer{src_note}; the list "
                                                       "is stale (unchanged since 8.0)")
    supported = all((table.get(op) or {}).get("supported") for op in ops_without)
    if supported and not row["all_domains"]:
        return "unlisted-but-ok", "no error", (f"trtlint, from the table: {', '.join(ops_without)} has no importer "
                                                f"in {STAND_IN.get(release, '10.1')}'s source but the {release} "
                                                "table marks it supported")
    return "unlisted-but-ok", "no error", f"list: no importer for {', '.join(ops_without) or row['all_domains']}{src_note}"


def render_agreement(rows: list[dict], onnx_version: str) -> str:
    known = facts()
    out = [
        "# trtlint beside the parser's own backend test list",
        "",
        f"Generated by `scripts/gen_onnx_backend_verdicts.py` from the {len(rows)} node test cases of onnx "
        f"{onnx_version}. *List* is onnx-tensorrt's `onnx_backend_test.py` at the commit each TensorRT release "
        "ships: a case is **in** when one of its `include` patterns and none of its `exclude` patterns match the "
        "device test name `<case>_cuda` with `re.search` (what `onnx.backend.test.runner.Runner` does). The file is "
        "byte-identical at the 8.0, 8.2, 8.4, 8.5, 8.6, 9.x, 10.0 and 10.1 commits; the source of 10.16 and 11.1 was "
        "not obtainable as a git tree here, so 10.1's list and parser facts stand in for them (the issue reports "
        "the list unchanged since 8.0). *trtlint* is **error** when it reports an error for the target, "
        "**warning** when warnings only, **ok** otherwise.",
        "",
        "The list is stale, so it is not the referee: where the two disagree, the parser source at that release "
        "decides (facts extracted by `scripts/upstream/extract_parser_facts.py` into "
        "`scripts/upstream/onnx-tensorrt/parser-facts.json`: importers present, types `convertDtype` maps, types "
        "an importer refuses, inputs and attributes an importer reads).",
        "",
        "## How many cases each verdict covers",
        "",
        "| target | cases | list: in | list: out | trtlint ok | trtlint warning | trtlint error | in & error | "
        "out & not error | agree |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    judged: dict[str, list[tuple[str, str, str, str]]] = {t: [] for t in TARGETS}
    for t in TARGETS:
        c: Counter = Counter()
        for r in rows:
            v = r["targets"][t]
            c["in" if v["listed"] else "out"] += 1
            c["error" if not v["ok"] else "warning" if v["warnings"] else "ok"] += 1
            if v["listed"] and not v["ok"]:
                c["in_error"] += 1
            elif not v["listed"] and v["ok"]:
                c["out_ok"] += 1
            else:
                c["agree"] += 1
                continue
            kind, deciding, right = judge(t, r, known)
            judged[t].append((r["case"], kind, deciding, right))
        out.append(f"| {t} | {len(rows)} | {c['in']} | {c['out']} | {c['ok']} | {c['warning']} | {c['error']} | "
                   f"{c['in_error']} | {c['out_ok']} | {c['agree']} |")
    out += ["", "## Every error, judged from the parser source", "",
            "All cases where trtlint reports an error for the target, listed or not, by the first error's rule and "
            "what the parser source says about it. *not traced* means the error rests on the release's operator "
            "table (or on trtlint's own graph check) and the importer was not seen to enforce it; none of these "
            "errors was found contradicted by the source. The source of 10.16 and 11.1 was read only in part "
            "(10.1's facts stand in, as marked).", "",
            "| target | rule | judged from the parser source | cases |", "|---|---|---|---|"]
    for t in TARGETS:
        groups = Counter()
        for r in rows:
            if not r["targets"][t]["ok"]:
                deciding, right = judge_error(t, r, known)
                groups[(deciding.split(":")[0], _category(right))] += 1
        for (code, right), n in sorted(groups.items()):
            out.append(f"| {t} | {code} | {right} | {n} |")
    out += ["", "## Who is right where they disagree", "",
            "Counted per target by the referee's reasoning (the deciding finding's rule for *in & error*).", "",
            "| target | disagreement | deciding | right, judged from the parser source | cases |", "|---|---|---|---|---|"]
    for t in TARGETS:
        groups: Counter = Counter()
        for _, kind, deciding, right in judged[t]:
            code = deciding.split(":")[0] if kind == "listed-but-error" else "-"
            groups[(kind, code, _category(right))] += 1
        for (kind, code, right), n in sorted(groups.items()):
            out.append(f"| {t} | {kind} | {code} | {right} | {n} |")
    out += ["", "## Every disagreement", "",
            "| target | case | disagreement | deciding finding | right, judged from the parser source |",
            "|---|---|---|---|---|"]
    for t in TARGETS:
        for case, kind, deciding, right in judged[t]:
            cell = lambda s: s.replace("|", "\\|")  # noqa: E731
            out.append(f"| {t} | {case} | {kind} | {cell(deciding)} | {cell(right)} |")
    return "\n".join(out) + "\n"


def _category(right: str) -> str:
    """The reasoning without the case-specific details (for the summary)."""
    right = re.sub(r"@ [0-9a-f]{10} \(TensorRT [\d.]+\)", "", right)
    right = re.sub(r"no importer for [^ ]+( in)", r"no importer for the operator\1", right)
    right = re.sub(r"mapping for [A-Z0-9]+ \(it maps [^)]*\)", "mapping for the type", right)
    right = re.sub(r"DEFINE_BUILTIN_OP_IMPORTER\(\w+\)", "DEFINE_BUILTIN_OP_IMPORTER(op)", right)
    right = re.sub(r": \w+ has no importer", ": an operator has no importer", right)
    right = re.sub(r"list: no importer for .*", "list: no importer for an operator", right)
    right = re.sub(r"never reads (input \d|attribute `\w+`)", "never reads the newer input/attribute", right)
    right = re.sub(r"support\)", "support)", right)
    return re.sub(r"\s+", " ", right).strip().replace("|", "\\|")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--limit", type=int)
    ap.add_argument("--output", type=Path, default=OUT)
    ap.add_argument("--agreement", type=Path, default=AGREEMENT)
    args = ap.parse_args()
    rows, version = verdicts(args.limit)
    args.output.write_text(render(rows, version), encoding="utf-8")
    args.agreement.write_text(render_agreement(rows, version), encoding="utf-8")
    print(f"wrote {args.output} and {args.agreement} ({len(rows)} cases)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
