"""Shared base of the tool's own diagnostics."""
from __future__ import annotations

from typing import ClassVar

from trtlint.finding import Finding, Severity
from trtlint.rule import ToolRule


class InputProblem(ToolRule):
    """Base for diagnostics about an input that could not be linted at all (exit code 2)."""

    severity = Severity.ERROR
    input_error: ClassVar[bool] = True

    @classmethod
    def at(cls, path: str, message: str, line: int = 1, col: int = 1, hint: str = "") -> Finding:
        return cls().finding(message, path, line, col, hint=hint)
