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
