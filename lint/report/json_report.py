"""``--output-format json``: a stable list of findings (schema documented in README.md, 'JSON output')."""
from __future__ import annotations

import json

from ..finding import Finding
from . import ReportContext
from .escape import unicode_only


def _clean(value: object) -> object:
    if isinstance(value, str):
        return unicode_only(value)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def render(findings: list[Finding], ctx: ReportContext) -> str:
    return json.dumps([_clean(f.to_dict()) for f in findings], indent=2, sort_keys=True) + "\n"
