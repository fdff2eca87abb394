"""Shared base of the graph rules: the child's raw observations in, findings at the user's lines out."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

from trtlint.finding import Finding, Severity
from trtlint.rule import Rule


def display(path: str) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return rel if not rel.startswith("..") else path


@dataclass
class Observations:
    """What one child run saw: its records (``{"type": "obs", "kind": ..., "file", "line", ...}``), the spec and
    the torch that ran. ``fallback`` is where a finding without a user line goes (the ENTRY's file)."""

    records: list[dict[str, Any]]
    spec: Any  # trtlint.graph.spec.GraphSpec
    torch: str = "?"
    fallback: tuple[str, int] = ("<model>", 1)
    target: Any = None  # trtlint.compat.Target
    extra: dict[str, Any] = field(default_factory=dict)

    def of(self, kind: str) -> Iterator[dict[str, Any]]:
        return (r for r in self.records if r.get("type") == "obs" and r.get("kind") == kind)

    def where(self, rec: dict[str, Any]) -> tuple[str, int]:
        if rec.get("file") and rec.get("line"):
            return display(str(rec["file"])), int(rec["line"])
        return self.fallback


class GraphRule(Rule):
    """A rule over one graph run (:class:`Observations`)."""

    layer = "graph"

    def check(self, obs: Observations) -> Iterable[Finding]:
        raise NotImplementedError

    def at(self, obs: Observations, rec: dict[str, Any], message: str, hint: str = "",
           severity: Severity | None = None) -> Finding:
        path, line = obs.where(rec)
        return self.finding(message, path, line, 1, hint=hint, severity=severity)
