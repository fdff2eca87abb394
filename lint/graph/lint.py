"""Parent side: the child's records through the graph rules into findings (selection and noqa applied). Torch-free."""
from __future__ import annotations

import os
from collections import defaultdict
from typing import Any

from ..finding import Finding
from ..registry import all_rules
from ..runner import Runner
from .spec import GraphSpec


def findings_for(records: list[dict[str, Any]], spec: GraphSpec, runner: Runner) -> list[Finding]:
    from trtlint.rules.graph._base import GraphRule, Observations, display

    done = [r for r in records if r.get("type") == "done"]
    torch_version = str(done[-1].get("torch", "?")) if done else "?"
    fallback_file = spec.entry.path or next((str(r["file"]) for r in records if r.get("type") == "entry_file"), "")
    obs = Observations(records=records, spec=spec, torch=torch_version,
                       fallback=(display(fallback_file) if fallback_file else spec.entry.text, 1), target=runner.target)
    found: list[Finding] = []
    for code, cls in all_rules().items():
        if code in runner.enabled and issubclass(cls, GraphRule):
            found.extend(cls().check(obs))
    by_path: dict[str, list[Finding]] = defaultdict(list)
    for f in found:
        by_path[f.path].append(f)
    out: list[Finding] = []
    for path, group in by_path.items():
        try:
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
        except (OSError, UnicodeDecodeError):
            text = ""
        out.extend(runner._filter(group, path, text.splitlines(), text))
    return out



