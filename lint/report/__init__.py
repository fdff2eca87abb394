"""Reporters: one module a format. Each takes the findings and the run's context and returns text."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..finding import Finding

FORMATS = ("full", "concise", "json", "sarif", "github")


@dataclass
class ReportContext:
    files: int
    target: str
    root: Path = field(default_factory=Path.cwd)  # repository root for relative URIs
    color: bool = False


def get_reporter(name: str) -> Callable[[list[Finding], ReportContext], str]:
    if name in ("full", "concise"):
        from . import text

        return text.render_full if name == "full" else text.render_concise
    if name == "json":
        from . import json_report

        return json_report.render
    if name == "sarif":
        from . import sarif

        return sarif.render
    if name == "github":
        from . import github

        return github.render
    raise ValueError(f"unknown output format {name!r}; choose from {', '.join(FORMATS)}")


def emit(text: str, findings: list[Finding], ctx: ReportContext, output_file: str | None, output_format: str) -> None:
    """Write a rendered report to ``output_file`` (with the one-line summary on stderr for the machine formats,
    so a CI log still says what happened) or to stdout. Shared by ``check``, ``graph`` and ``verify``."""
    import sys

    if output_file:
        Path(output_file).write_text(text, encoding="utf-8")
        if output_format not in ("full", "concise"):
            from .text import summary

            print(summary(findings, ctx), file=sys.stderr)
    else:
        sys.stdout.write(text)
