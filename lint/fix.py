"""Apply safe fixes (``--fix``), show them (``--diff``), and write ``# noqa`` on current findings (``--add-noqa``)."""
from __future__ import annotations

import ast
import difflib
import re
from collections import defaultdict
from pathlib import Path

from .report.escape import inert
from .finding import Edit, Finding
from .suppress import NOQA_RE, comments_by_line


def _offsets(text: str) -> list[int]:
    starts, pos = [0], 0
    for line in text.splitlines(keepends=True):
        pos += len(line)
        starts.append(pos)
    return starts


def _offset(starts: list[int], line: int, col: int) -> int:
    return starts[min(line - 1, len(starts) - 1)] + col - 1


def apply_edits(text: str, findings: list[Finding], unsafe: bool = False) -> tuple[str, list[Finding]]:
    """Apply the fixes of ``findings`` that do not overlap; returns the new text and the findings fixed."""
    starts = _offsets(text)
    chosen: list[tuple[int, int, Edit, Finding]] = []
    for f in findings:
        if f.fix is None or f.suppressed or (not f.fix.safe and not unsafe):
            continue
        spans = [(_offset(starts, e.line, e.col), _offset(starts, e.end_line, e.end_col), e) for e in f.fix.edits]
        if any(not (b <= s or a >= t) or (a == b == s == t) for a, b, _ in spans for s, t, _, _ in chosen):
            continue  # overlaps a fix already taken: the next --fix run picks it up
        chosen.extend((a, b, e, f) for a, b, e in spans)
    fixed: list[Finding] = []
    for a, b, e, f in sorted(chosen, key=lambda x: (x[0], x[1]), reverse=True):
        text = text[:a] + e.text + text[b:]
        if f not in fixed:
            fixed.append(f)
    return text, fixed


def fix_files(findings: list[Finding], write: bool, unsafe: bool = False) -> tuple[list[str], list[Finding]]:
    """Returns unified diffs (one per changed file) and the findings that were fixed."""
    by_path: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        if f.fix is not None:
            by_path[f.path].append(f)
    diffs: list[str] = []
    fixed_all: list[Finding] = []
    for path, fs in sorted(by_path.items()):
        if any(f.cell is not None for f in fs):  # a notebook: only cell sources change
            from .loaders.notebook import fix_notebook_text

            raw = Path(path).read_bytes().decode("utf-8-sig")
            new_nb, diff, fixed = fix_notebook_text(raw, path, fs, unsafe)
            if fixed:
                diffs.append(diff)
                fixed_all.extend(fixed)
                if write:
                    Path(path).write_text(new_nb, encoding="utf-8")
            continue
        original = Path(path).read_text(encoding="utf-8")
        new, fixed = apply_edits(original, fs, unsafe)
        if new == original:
            continue
        try:
            ast.parse(new)
        except SyntaxError:  # never write a file the fix broke
            continue
        diffs.append("".join(difflib.unified_diff(original.splitlines(True), new.splitlines(True), f"a/{inert(path)}", f"b/{inert(path)}")))
        fixed_all.extend(fixed)
        if write:
            Path(path).write_text(new, encoding="utf-8")
    return diffs, fixed_all


def add_noqa(findings: list[Finding]) -> int:
    """Append ``# noqa: CODE`` to every line with an unsuppressed finding; returns the number of lines changed."""
    by_path: dict[str, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
    changed = _add_noqa_notebooks(findings)
    for f in findings:
        if f.suppressed is None and f.path.endswith((".py", ".pyi")) and f.line >= 1:
            by_path[f.path][f.line].add(f.code)
    for path, lines in sorted(by_path.items()):
        text = Path(path).read_text(encoding="utf-8")
        src = text.splitlines(keepends=True)
        comments = comments_by_line(text) or {}  # the same reading of noqa as the suppression check
        for lineno, codes in lines.items():
            if lineno > len(src):
                continue
            line = src[lineno - 1]
            body, nl = (line[:-1], "\n") if line.endswith("\n") else (line, "")
            comment = comments.get(lineno, "")
            m = NOQA_RE.search(comment)
            if m and m.group("codes"):
                have = set(re.split(r"[\s,]+", m.group("codes").strip()))
                merged = ", ".join(sorted(have | codes))
                at = body.rindex(comment)
                new_line = body[: at + m.start()] + f"# noqa: {merged}" + body[at + m.end():] + nl
            elif m:
                continue  # a bare noqa already suppresses everything
            else:
                new_line = f"{body}  # noqa: {', '.join(sorted(codes))}{nl}"
            trial = src[:]
            trial[lineno - 1] = new_line
            try:
                ast.parse("".join(trial))
            except SyntaxError:  # the line ends inside a string: a comment cannot go there
                continue
            src = trial
            changed += 1
        Path(path).write_text("".join(src), encoding="utf-8")
    return changed


def _add_noqa_notebooks(findings: list[Finding]) -> int:
    """``--add-noqa`` for the findings in notebook cells (only cell sources change)."""
    by_nb: dict[str, dict[tuple[int, int], set[str]]] = defaultdict(lambda: defaultdict(set))
    for f in findings:
        if f.suppressed is None and f.cell is not None and f.line >= 1:
            by_nb[f.path][(f.cell, f.line)].add(f.code)
    changed = 0
    for path, codes in sorted(by_nb.items()):
        from .loaders.notebook import add_noqa_notebook_text

        raw = Path(path).read_bytes().decode("utf-8-sig")
        new, n = add_noqa_notebook_text(raw, codes)
        if n:
            Path(path).write_text(new, encoding="utf-8")
            changed += n
    return changed
