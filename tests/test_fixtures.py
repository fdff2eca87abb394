"""Fixture tests in the TorchFix style: fixtures/source/NAME.py beside NAME.expected, the exact findings
(``line:col CODE [severity] message``, one a line).

Regenerate after a deliberate change with ``TRTLINT_REGEN=1 pytest tests/test_fixtures.py`` and review the diff.
A fixture may pin options in its first line: ``# trtlint-fixture: --target trt8.6``.
"""
from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import pytest

from trtlint.registry import all_rules
from trtlint.rule import SourceRule

from .conftest import FIXTURES, run_cli

SOURCE = sorted((FIXTURES / "source").glob("*.py"))


def options(path: Path) -> list[str]:
    first = path.read_text(encoding="utf-8").splitlines()[:1]
    m = re.match(r"#\s*trtlint-fixture:\s*(.*)", first[0]) if first else None
    return shlex.split(m.group(1)) if m else []


def lint(path: Path) -> list[str]:
    r = run_cli("check", "--isolated", "--output-format", "json", *options(path), str(path))
    assert r.code in (0, 1), r.err
    import json

    return [f"{f['line']}:{f['column']} {f['code']} [{f['severity']}] {f['message']}" for f in json.loads(r.out)]


@pytest.mark.parametrize("path", SOURCE, ids=[p.name for p in SOURCE])
def test_source_fixture(path: Path) -> None:
    expected_file = path.with_suffix(".expected")
    got = lint(path)
    if os.environ.get("TRTLINT_REGEN"):
        expected_file.write_text("".join(f"{g}\n" for g in got))
    expected = expected_file.read_text().split("\n") if expected_file.exists() else None
    assert expected is not None, f"{expected_file.name} missing: run with TRTLINT_REGEN=1 once, then review it"
    assert got == [e for e in expected if e]


@pytest.mark.parametrize("code", [c for c, r in all_rules().items() if issubclass(r, SourceRule)])
def test_every_source_rule_has_hazard_and_clean_fixture(code: str) -> None:
    # a fixture covers one rule (trt101_*.py) or a family of rules (trt4xx_*.py)
    prefixes = (code.lower() + "_", code.lower()[:4] + "xx_")
    mine = [p for p in SOURCE if p.name.startswith(prefixes)]
    hazards = [p for p in mine if not p.stem.endswith("_clean")]
    cleans = [p for p in mine if p.stem.endswith("_clean")]
    assert hazards and cleans, f"{code} needs fixtures/source/{prefixes[0]}*.py and {prefixes[0]}*_clean.py"
    def codes(p: Path) -> list[str]:
        return [ln.split()[1] for ln in p.with_suffix(".expected").read_text().splitlines() if ln.strip()]

    assert any(code in codes(p) for p in hazards), f"no hazard fixture of {code} expects it to fire"
    for clean in cleans:
        assert code not in codes(clean), f"{clean.name} triggers {code}"
