"""``--output-format github``: GitHub Actions workflow commands, which annotate the pull request."""
from __future__ import annotations

from ..finding import Finding
from . import ReportContext
from .escape import inert

LEVEL = {"error": "error", "warning": "warning", "note": "notice"}


def _data(text: str) -> str:
    """Escaping of the runner's own parser (actions/runner ActionCommand.cs: %, CR, LF in data)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def render(findings: list[Finding], ctx: ReportContext) -> str:
    out = []
    for f in findings:
        if f.suppressed:
            continue
        props = [f"file={_prop(inert(f.path))}", f"line={f.line}", f"col={f.col}"]
        if f.cell is not None:  # a notebook: lines of the JSON file are not cell lines; annotate the file
            props = [f"file={_prop(inert(f.path))}"]
            msg = (f"cell {f.cell}, line {f.line}, column {f.col}: {inert(f.code)} {inert(f.message)}"
                   + (f"\n{inert(f.hint)}" if f.hint else ""))
            out.append(f"::{LEVEL[f.severity.value]} {','.join(props)},title={_prop(f'trtlint ({f.code})')}::{_data(msg)}")
            continue
        if f.end_line:
            props.append(f"endLine={f.end_line}")
        if f.end_col and (f.end_line in (None, f.line)):
            props.append(f"endColumn={f.end_col}")
        props.append(f"title={_prop(f'trtlint ({f.code})')}")
        # each piece made inert (no raw control characters), then joined by the one newline we mean
        msg = f"{inert(f.code)} {inert(f.message)}" + (f"\n{inert(f.hint)}" if f.hint else "")
        out.append(f"::{LEVEL[f.severity.value]} {','.join(props)}::{_data(msg)}")
    return "\n".join(out) + ("\n" if out else "")
