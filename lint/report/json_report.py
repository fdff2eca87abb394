"""``--output-format json``: a stable list of findings (schema documented in README.md, 'JSON output')."""
from __future__ import annotations

import json

from ..finding import Finding
from . import ReportContext


def render(findings: list[Finding], ctx: ReportContext) -> str:
    return json.dumps([f.to_dict() for f in findings], indent=2, sort_keys=True) + "\n"
