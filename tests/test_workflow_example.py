"""The documented GitHub Actions workflow parses and uses the repository's action (tests/test_action.py runs
the action's steps)."""
from __future__ import annotations

import yaml

from .conftest import ROOT


def test_workflow_uses_the_action_with_code_scanning_permission() -> None:
    wf = yaml.safe_load((ROOT / "examples" / "github-actions" / "trtlint.yml").read_text())
    steps = wf["jobs"]["trtlint"]["steps"]
    action = next(s for s in steps if s.get("uses", "").startswith("trtlint/trtlint@"))
    assert action["with"]["paths"] == "." and action["with"]["target"] == "trt10.8"
    assert wf["permissions"]["security-events"] == "write"
    assert (ROOT / "action.yml").is_file()
