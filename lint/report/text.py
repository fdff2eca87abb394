"""Human output: ``full`` (with the source line and the fix hint) and ``concise`` (one line a finding)."""
from __future__ import annotations

from collections import Counter

from ..finding import Finding
from . import ReportContext
from .escape import inert, safe_line_start

COLORS = {"error": "\x1b[31m", "warning": "\x1b[33m", "note": "\x1b[36m"}
BOLD, DIM, RESET = "\x1b[1m", "\x1b[2m", "\x1b[0m"


def _c(ctx: ReportContext, code: str, text: str) -> str:
    return f"{code}{text}{RESET}" if ctx.color else text


def _head(f: Finding, ctx: ReportContext) -> str:
    cell = f"cell {f.cell}:" if f.cell is not None else ""  # notebooks: nb.ipynb:cell 3:2:5 (as ruff)
    loc = _c(ctx, BOLD, safe_line_start(f"{inert(f.path)}:{cell}{f.line}:{f.col}:"))
    code = _c(ctx, COLORS.get(f.severity.value, ""), f"{inert(f.code)}")
    return f"{loc} {code} [{f.severity.value}] {inert(f.message)}"


def summary(findings: list[Finding], ctx: ReportContext) -> str:
    live = [f for f in findings if f.suppressed is None]
    if not live:
        return f"All checks passed ({ctx.files} file{'s' if ctx.files != 1 else ''}, target {ctx.target})."
    sev = Counter(f.severity.value for f in live)
    fixable = sum(1 for f in live if f.fix is not None)
    parts = [f"{n} {s}{'s' if n != 1 else ''}" for s in ("error", "warning", "note") if (n := sev.get(s))]
    line = f"Found {len(live)} finding{'s' if len(live) != 1 else ''} ({', '.join(parts)}) in {ctx.files} file{'s' if ctx.files != 1 else ''}, target {ctx.target}."
    if fixable:
        line += f"\n[*] {fixable} fixable with --fix."
    return line


def render_full(findings: list[Finding], ctx: ReportContext) -> str:
    out: list[str] = []
    for f in findings:
        if f.suppressed:
            continue
        out.append(_head(f, ctx))
        if f.source_line:
            src = inert(f.source_line.rstrip("\r\n").expandtabs(4))
            gutter = f"{f.line:>5} | "
            out.append(gutter + src)
            width = max(1, ((f.end_col or f.col + 1) - f.col) if (f.end_line in (None, f.line)) else len(src) - f.col + 1)
            out.append(" " * (len(gutter) + f.col - 1) + _c(ctx, COLORS.get(f.severity.value, ""), "^" * min(width, 120)))
        if f.hint:
            out.append(f"  = help: {inert(f.hint)}")
        if f.fix is not None:
            out.append(f"  = fix{'' if f.fix.safe else ' (unsafe)'}: {inert(f.fix.description)}")
        out.append("")
    out.append(summary(findings, ctx))
    return "\n".join(out) + "\n"


def render_concise(findings: list[Finding], ctx: ReportContext) -> str:
    lines = [_head(f, ctx) for f in findings if not f.suppressed]
    lines.append(summary(findings, ctx))
    return "\n".join(lines) + "\n"


def statistics(findings: list[Finding]) -> str:
    live = [f for f in findings if f.suppressed is None]
    counts = Counter((f.code, f.name) for f in live)
    fixable = Counter(f.code for f in live if f.fix is not None)
    rows = [f"{n:>5}\t{inert(code)}\t{inert(name)}{'  [*]' if fixable[code] else ''}" for (code, name), n in counts.most_common()]
    return "\n".join(rows) + ("\n" if rows else "")
