"""SARIF 2.1.0 output: valid against the official schema and shaped the way GitHub code scanning ingests it."""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from .conftest import HAZARD, run_cli

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())


@pytest.fixture
def sarif(tmp_path: Path) -> dict:
    (tmp_path / ".git").mkdir()  # the repository root for relative URIs
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text(HAZARD)
    (tmp_path / "pkg" / "b.py").write_text(HAZARD.replace(".item()", ".item()  # noqa: TRT102"))
    (tmp_path / "pkg" / "c.py").write_text("def broken(:\n")
    r = run_cli("check", "--isolated", "--output-format", "sarif", "pkg", cwd=tmp_path)
    assert r.code == 2  # the syntax error makes it a partial check
    return json.loads(r.out)


def test_valid_against_official_schema(sarif: dict) -> None:
    errors = sorted(jsonschema.Draft4Validator(SCHEMA).iter_errors(sarif), key=str)
    assert not errors, errors[0].message


def test_shape_for_github_code_scanning(sarif: dict) -> None:
    assert sarif["version"] == "2.1.0" and len(sarif["runs"]) == 1
    run = sarif["runs"][0]
    results = run["results"]
    assert [(r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]) for r in results] == [
        ("TRT102", "pkg/a.py"), ("TRT102", "pkg/b.py"), ("TRT901", "pkg/c.py")
    ]
    for r in results:
        assert r["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert r["partialFingerprints"]["primaryLocationLineHash"]
        assert run["tool"]["driver"]["rules"][r["ruleIndex"]]["id"] == r["ruleId"]
    # a model-code finding is a note unless [tool.trtlint] models declares the model; an unparsable file is an error
    assert [r["level"] for r in results] == ["note", "note", "error"]
    region = results[0]["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (6, 20)
    # suppressed findings are reported with a suppression, not dropped
    assert "suppressions" not in results[0]
    assert results[1]["suppressions"] == [{"justification": "# noqa", "kind": "inSource"}]


def test_rule_descriptors(sarif: dict) -> None:
    rules = sarif["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["TRT102", "TRT901"]
    for r in rules:
        assert r["shortDescription"]["text"] and r["fullDescription"]["text"]
        assert "Why it matters for TensorRT" in r["help"]["markdown"] and r["help"]["text"]
        assert r["defaultConfiguration"]["level"] in ("error", "warning", "note")
        assert r["properties"]["tags"] and r["properties"]["precision"] in ("very-high", "high", "medium", "low")
        assert "security-severity" not in r["properties"]


def test_stable_sorted_output(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(HAZARD)
    one = run_cli("check", "--isolated", "--output-format", "sarif", "a.py", cwd=tmp_path).out
    two = run_cli("check", "--isolated", "--output-format", "sarif", "a.py", cwd=tmp_path).out
    assert one == two
    assert one == json.dumps(json.loads(one), indent=2, sort_keys=True) + "\n"


def test_fingerprints_survive_unrelated_edits(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(HAZARD)
    before = json.loads(run_cli("check", "--isolated", "--output-format", "sarif", "a.py", cwd=tmp_path).out)
    (tmp_path / "a.py").write_text("# a new comment line\n\n" + HAZARD)
    after = json.loads(run_cli("check", "--isolated", "--output-format", "sarif", "a.py", cwd=tmp_path).out)
    fp = lambda d: d["runs"][0]["results"][0]["partialFingerprints"]  # noqa: E731
    assert fp(before) == fp(after)
    assert after["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 8


def test_whole_fixture_tree_validates() -> None:
    """Every rule that fires on fixtures/ (source and ONNX layers, tool diagnostics) gives schema-valid SARIF."""
    from .conftest import ROOT

    r = run_cli("check", "--isolated", "--output-format", "sarif", "fixtures", cwd=ROOT)
    doc = json.loads(r.out)
    errors = list(jsonschema.Draft4Validator(SCHEMA).iter_errors(doc))
    assert not errors, errors[0].message
    fired = {res["ruleId"] for res in doc["runs"][0]["results"]}
    assert {"TRT101", "TRT102", "TRT106", "TRT303", "TRT306"} <= fired
