"""docs/onnx-backend-verdicts.md is current for the installed onnx, and every disagreement is explained."""
from __future__ import annotations

import sys

import pytest

pytest.importorskip("onnx")

from .conftest import ROOT  # noqa: E402

sys.path.insert(0, str(ROOT / "scripts"))
import gen_onnx_backend_verdicts as gen  # noqa: E402

DOC = (ROOT / "docs" / "onnx-backend-verdicts.md").read_text()
ROWS = {line.split("|")[1].strip(): line for line in DOC.splitlines() if line.startswith("| test_")}


def test_one_row_per_backend_case() -> None:
    import onnx

    if f"onnx {onnx.__version__}" not in DOC:
        pytest.skip(f"the table was generated with another onnx; installed is {onnx.__version__}")
    names = {c.name for c in gen.cases()}
    assert names == set(ROWS) and len(names) > 1500


def test_sample_matches_a_fresh_run() -> None:
    import onnx

    if f"onnx {onnx.__version__}" not in DOC:
        pytest.skip(f"the table was generated with another onnx; installed is {onnx.__version__}")
    rows, version = gen.verdicts(limit=80)
    fresh = gen.render(rows, version)
    for line in fresh.splitlines():
        if line.startswith("| test_"):
            assert ROWS[line.split("|")[1].strip()] == line


def test_every_disagreement_is_explained() -> None:
    for name, line in ROWS.items():
        if "≠" in line:
            assert line.rstrip(" |").split("|")[-1].strip(), name


# ------------------------------------------------------------ docs/onnx-parser-agreement.md (issue 9)
AGREEMENT = (ROOT / "docs" / "onnx-parser-agreement.md").read_text()


def _section(title: str) -> list[list[str]]:
    body = AGREEMENT.split(f"## {title}", 1)[1].split("\n## ", 1)[0]
    return [[c.strip() for c in ln.strip().strip("|").split(" | ")] for ln in body.splitlines()
            if ln.startswith("| trt")]


def test_agreement_counts_cover_every_case_once() -> None:
    disagreements = _section("Every disagreement")
    for row in _section("How many cases each verdict covers"):
        target, cases, listed, unlisted, ok, warn, err, in_err, out_ok, agree = row[0], *map(int, row[1:])
        assert listed + unlisted == cases == ok + warn + err == in_err + out_ok + agree, row
        assert len([d for d in disagreements if d[0] == target]) == in_err + out_ok, target
    assert {r[0] for r in _section("How many cases each verdict covers")} == set(gen.TARGETS)


def test_no_error_is_contradicted_by_the_parser_source() -> None:
    for target, case, kind, deciding, right in _section("Every disagreement"):
        assert right, case
        if kind == "listed-but-error":
            assert right.startswith("trtlint"), (target, case, deciding, right)
    judged = _section("Every error, judged from the parser source")
    assert {r[0] for r in judged} == set(gen.TARGETS)
    for target, rule, right, cases in judged:
        assert right.startswith("trtlint") and int(cases) > 0, (target, rule, right)


def test_backend_list_is_matched_like_the_onnx_runner() -> None:
    patterns = {"include": [r".*test_abs.*", r".*test_Conv[1-3]d*"], "exclude": [r"test_abs_example"]}
    assert gen.in_backend_list("test_abs", patterns)
    assert not gen.in_backend_list("test_abs_example", patterns)  # an exclude pattern searches the name
    assert gen.in_backend_list("test_Conv2d_groups", patterns)
    assert not gen.in_backend_list("test_acos", patterns)


def test_agreement_sample_matches_a_fresh_run() -> None:
    import onnx

    if f"onnx {onnx.__version__}" not in AGREEMENT:
        pytest.skip(f"the table was generated with another onnx; installed is {onnx.__version__}")
    rows, version = gen.verdicts(limit=40)
    fresh = gen.render_agreement(rows, version).split("## Every disagreement", 1)[1]
    committed = AGREEMENT.split("## Every disagreement", 1)[1]
    for line in fresh.splitlines():
        if line.startswith("| trt"):
            assert line in committed, line
