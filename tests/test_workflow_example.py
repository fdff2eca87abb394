"""The documented GitHub Actions workflow parses and does what the README says it does."""
from __future__ import annotations

import yaml

from .conftest import ROOT


def test_workflow_uploads_sarif() -> None:
    wf = yaml.safe_load((ROOT / "examples" / "github-actions" / "trtlint.yml").read_text())
    steps = wf["jobs"]["trtlint"]["steps"]
    lint = next(s for s in steps if "--output-format sarif" in s.get("run", ""))
    upload = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@"))
    assert "-o trtlint.sarif" in lint["run"]
    assert upload["with"]["sarif_file"] == "trtlint.sarif"
    assert wf["permissions"]["security-events"] == "write"
    assert any("--output-format github" in s.get("run", "") and "--exit-zero" not in s["run"] for s in steps)
