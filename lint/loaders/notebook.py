"""Jupyter notebooks (``.ipynb``): code cells joined into one Python text, findings mapped back to cells.

The file is read with the standard library's ``json`` and validated against nbformat's own JSON schema for
its minor version (``nbformat/v4/nbformat.v4.N.schema.json``, the files ``nbformat.validate`` uses), compiled
with fastjsonschema, nbformat's default validator. Both come with the ``[notebook]`` extra; nbformat itself is
not imported: measured on a shared 2-core machine (``benchmarks/bench_notebook_reader.py``, medians of 15 fresh
interpreters, import plus one validation), ``nbformat.validate`` costs 0.74 s, jsonschema with the same schema
0.36 s, fastjsonschema 0.23 s (most of it compiling the schema, once per run). Nothing here runs on a
``.py``-only run.
IPython syntax is skipped the way ruff skips it (ruff PRs astral-sh/ruff#8398 and #8911, issue #8354):

- a line magic (``%matplotlib inline``), shell escape (``!pip install x``, ``files = !ls``) or help line
  (``?obj``, ``obj?``) becomes ``pass`` at the same indentation (line numbers stay, blocks stay valid);
- a cell that starts with a cell magic (``%%bash``, ``%%writefile``) is skipped, except the magics whose body is
  Python (``%%time``, ``%%timeit``, ``%%capture``, ``%%debug``, ``%%prun``, ``%%python``...): only their first line
  is skipped;
- a cell that starts with an automagic package command (``pip install x``) is skipped.

Fixes edit only the ``source`` of code cells; every other byte of the notebook's JSON (outputs, metadata,
execution counts) is written back as it was read (the JSON indentation of the file is kept).
"""
from __future__ import annotations

import ast
import difflib
import io
import json
import re
import tokenize
import warnings
from dataclasses import dataclass, field
from typing import Any

from ..compat import Target
from ..finding import Edit, Finding, Fix
from ..rules.tool.trt901_syntax_error import SyntaxErrorInSource
from ..rules.tool.trt915_invalid_notebook import InvalidNotebook
from ..source import SourceFile
from .source import MAX_SOURCE_BYTES, read_bytes

NOTEBOOK_SUFFIXES = (".ipynb",)
_LINE_REF = re.compile(r"\bline (\d+)\b")
# cell magics whose body is Python: ruff lints the body (astral-sh/ruff#8911)
TRANSPARENT_CELL_MAGICS = frozenset(
    {"time", "timeit", "capture", "debug", "prun", "pypy", "python", "python2", "python3"}
)
AUTOMAGIC_CELL = re.compile(r"^\s*(pip|conda|mamba|micromamba)\s+\w")  # astral-sh/ruff#8398
ESCAPE_LINE = re.compile(
    r"^\s*(?:[%!?]|[\w.]+\?\??\s*$|[\w.,\s\[\]()*]+=\s*[!%])"  # %magic, !shell, ?help, obj?, x = !cmd
)


def notebook_support() -> bool:
    """Whether the ``[notebook]`` extra (nbformat's schemas, fastjsonschema) is installed, asked without
    importing either."""
    import importlib.util

    try:
        return all(importlib.util.find_spec(m) is not None for m in ("nbformat", "fastjsonschema"))
    except (ImportError, ValueError):
        return False


_VALIDATORS: dict[int, Any] = {}


def _validator(minor: int) -> Any:
    """nbformat's v4 schema for this minor version (the newest for a newer minor), compiled once."""
    if minor not in _VALIDATORS:
        import importlib.util
        from pathlib import Path

        import fastjsonschema

        spec = importlib.util.find_spec("nbformat")
        folder = Path(spec.origin).parent / "v4"  # type: ignore[union-attr, arg-type]
        path = folder / f"nbformat.v4.{minor}.schema.json"
        if not path.is_file():
            path = folder / "nbformat.v4.schema.json"
        _VALIDATORS[minor] = fastjsonschema.compile(json.loads(path.read_text(encoding="utf-8")))
    return _VALIDATORS[minor]


@dataclass
class Notebook:
    """A parsed notebook: its JSON, the joined Python text of its code cells, and the line mapping."""

    display: str
    raw: str
    data: dict[str, Any]
    source: SourceFile | None  # None when no code cell holds Python
    text: str
    #: virtual line (1-based, index 0 unused) -> (cell number 1-based in ``cells``, line in that cell)
    rows: list[tuple[int, int]] = field(default_factory=list)

    def cell_source(self, cell: int) -> str:
        src = self.data["cells"][cell - 1].get("source", "")
        return "".join(src) if isinstance(src, list) else str(src)

    def locate(self, line: int) -> tuple[int, int] | None:
        return self.rows[line] if 0 < line < len(self.rows) else None

    def to_cells(self, f: Finding) -> Finding:
        """The finding with its positions in its cell (and ``cell`` set); a fix that spans cells is dropped."""
        start = self.locate(f.line)
        if start is None:
            return f.with_(cell=None, fix=None)
        cell, line = start
        end_line = f.end_line
        if end_line is not None:
            end = self.locate(end_line)
            end_line = end[1] if end is not None and end[0] == cell else line
        fix = f.fix
        if fix is not None:
            edits: list[Edit] = []
            for e in fix.edits:
                a, b = self.locate(e.line), self.locate(e.end_line)
                if a is None or b is None or a[0] != cell or b[0] != cell:
                    edits = []
                    break
                edits.append(Edit(a[1], e.col, b[1], e.end_col, e.text))
            fix = Fix(fix.description, tuple(edits), fix.safe) if edits else None
        return f.with_(cell=cell, line=line, end_line=end_line, fix=fix, message=self._relabel(f.message),
                       hint=self._relabel(f.hint))

    def _relabel(self, text: str) -> str:
        """Line numbers that messages cite ("bound at line 12") are lines of the joined text: name the cell."""
        def sub(m: re.Match[str]) -> str:
            at = self.locate(int(m.group(1)))
            return f"cell {at[0]}, line {at[1]}" if at is not None else m.group(0)

        return _LINE_REF.sub(sub, text) if "line " in text else text


def _join(cells: list[dict[str, Any]]) -> tuple[str, list[tuple[int, int]]]:
    """The Python text of the code cells and the map virtual line -> (cell, line)."""
    out: list[str] = []
    rows: list[tuple[int, int]] = [(0, 0)]
    for number, cell in enumerate(cells, start=1):
        if cell.get("cell_type") != "code":
            continue
        src = cell.get("source", "")
        text = "".join(src) if isinstance(src, list) else str(src)
        lines = text.splitlines()
        if not lines:
            continue
        first = lines[0].lstrip()
        skip_first = False
        if first.startswith("%%"):
            name = first[2:].split(None, 1)[0] if first[2:].strip() else ""
            if name not in TRANSPARENT_CELL_MAGICS:
                continue
            skip_first = True
        elif AUTOMAGIC_CELL.match(lines[0]):
            continue
        continuing = False
        done: list[str] = []
        for i, line in enumerate(lines, start=1):
            escape = continuing or (i == 1 and skip_first) or (
                bool(ESCAPE_LINE.match(line)) and _statement_starts_after(done))
            if escape:
                continuing = line.rstrip().endswith("\\")
                indent = line[: len(line) - len(line.lstrip())] if not (i == 1 and skip_first) else ""
                line = f"{indent}pass"
            out.append(line)
            done.append(line)
            rows.append((number, i))
    return "".join(ln + "\n" for ln in out), rows


def _statement_starts_after(lines: list[str]) -> bool:
    """Whether a new statement starts after ``lines``: not inside brackets, a string or a backslash continuation
    (so ``% b`` continuing ``x = (a`` is the modulo operator, not a magic)."""
    if not lines:
        return True
    try:
        for _ in tokenize.generate_tokens(io.StringIO("".join(ln + "\n" for ln in lines)).readline):
            pass
    except tokenize.TokenError:  # EOF in a multi-line statement or string
        return False
    except (IndentationError, SyntaxError):
        return True
    return True


def _shape_problem(data: object) -> str | None:
    if not isinstance(data, dict):
        return "not a notebook: the top level of the JSON is not an object"
    major = data.get("nbformat")
    if major != 4:
        return (f"not an nbformat 4 notebook (nbformat is {major!r}); convert it with "
                "'jupyter nbconvert --to notebook --nbformat 4'")
    return None


def _schema_problem(data: dict[str, Any]) -> str | None:
    """The first violation of nbformat's schema, or None."""
    from fastjsonschema import JsonSchemaException

    minor = data.get("nbformat_minor")
    try:
        _validator(minor if isinstance(minor, int) else 0)(data)
    except JsonSchemaException as exc:
        name = str(getattr(exc, "name", "") or "")
        where = name[len("data"):].lstrip(".") if name.startswith("data") else name
        message = str(getattr(exc, "message", exc)).splitlines()[0]
        message = message.replace(name + " ", "", 1) if name else message
        return f"not a valid nbformat 4 notebook at {where or '(top level)'}: {message[:200]}"
    except RecursionError:
        return "not a valid nbformat 4 notebook: nested too deeply"
    return None


def parse_notebook(data: bytes, display: str, target: Target | None) -> Notebook | Finding:
    """Decode, validate and join a notebook; one TRT915 finding when it is not a usable nbformat 4 file."""
    try:
        raw = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return InvalidNotebook.at(display, f"not a notebook: not UTF-8 (byte {exc.start}: {exc.reason})")
    try:
        nb = json.loads(raw)
    except json.JSONDecodeError as exc:
        return InvalidNotebook.at(display, f"not a notebook: not valid JSON ({exc.msg})", line=exc.lineno,
                                  col=exc.colno)
    except RecursionError:
        return InvalidNotebook.at(display, "not a notebook: JSON nested too deeply")
    problem = _shape_problem(nb) or _schema_problem(nb)
    if problem:
        return InvalidNotebook.at(display, problem, hint="open and re-save it in Jupyter, or check it with 'jupyter nbconvert'")
    text, rows = _join(nb["cells"])
    notebook = Notebook(display, raw, nb, None, text, rows)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(text, filename=display)
    except SyntaxError as exc:
        where = notebook.locate(exc.lineno or 1) or (None, 1)
        f = SyntaxErrorInSource.at(display, f"Python cannot parse this cell: {exc.msg}", line=exc.lineno or 1,
                                   col=exc.offset or 1)
        return notebook.to_cells(f) if where[0] is not None else f
    except (ValueError, RecursionError, MemoryError) as exc:
        return SyntaxErrorInSource.at(display, f"Python cannot parse this notebook: {exc}")
    notebook.source = SourceFile(display, text, tree, target)
    return notebook


def load_notebook(path: str, display: str, target: Target | None) -> Notebook | Finding:
    data = read_bytes(path, display, MAX_SOURCE_BYTES)
    if isinstance(data, Finding):
        return data
    return parse_notebook(data, display, target)


# ------------------------------------------------------------------------------------------- writing fixes
def _indent(raw: str) -> int | None:
    """The indentation the file was written with (nbformat writes 1), None for a one-line file."""
    m = re.search(r"\n( *)\S", raw)
    return len(m.group(1)) if m else None


def _set_source(cell: dict[str, Any], text: str) -> None:
    if isinstance(cell.get("source"), list):
        cell["source"] = text.splitlines(keepends=True)
    else:
        cell["source"] = text


def dumps_like(data: dict[str, Any], raw: str) -> str:
    """``data`` as JSON in the layout of ``raw`` (indentation, key order, non-ASCII, final newline)."""
    ascii_only = raw.isascii() and "\\u" in raw
    text = json.dumps(data, indent=_indent(raw), ensure_ascii=ascii_only, separators=(",", ": ") if _indent(raw)
                      is not None else (", ", ": "))
    return text + ("\n" if raw.endswith("\n") else "")


def fix_notebook_text(raw: str, display: str, findings: list[Finding], unsafe: bool) -> tuple[str, str, list[Finding]]:
    """Apply the fixes of ``findings`` (positions in cells) to the cell sources of the notebook text ``raw``.

    Returns the new notebook text (``raw`` itself when nothing changed or the result would not parse), a diff
    of the changed cells, and the findings fixed."""
    from ..fix import apply_edits

    nb = json.loads(raw)
    by_cell: dict[int, list[Finding]] = {}
    for f in findings:
        if f.cell is not None and f.fix is not None:
            by_cell.setdefault(f.cell, []).append(f)
    fixed: list[Finding] = []
    diffs: list[str] = []
    for cell, fs in sorted(by_cell.items()):
        entry = nb["cells"][cell - 1]
        old_src = entry.get("source", "")
        old = "".join(old_src) if isinstance(old_src, list) else str(old_src)
        new, done = apply_edits(old, fs, unsafe)
        if new == old:
            continue
        _set_source(entry, new)
        fixed.extend(done)
        name = f"{display}:cell {cell}"
        diffs.append("".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True), f"a/{name}", f"b/{name}")))
    if not fixed:
        return raw, "", []
    text, _ = _join(nb["cells"])
    try:
        ast.parse(text)
    except SyntaxError:  # never write a notebook the fixes broke
        return raw, "", []
    return dumps_like(nb, raw), "".join(d if d.endswith("\n") else d + "\n" for d in diffs), fixed


def add_noqa_notebook_text(raw: str, codes: dict[tuple[int, int], set[str]]) -> tuple[str, int]:
    """``--add-noqa`` for a notebook: append ``# noqa: CODE`` to the cell lines ``(cell, line)`` of ``codes``
    (merged into an existing ``# noqa: ...``), keeping every line whose comment would break the joined code."""
    from ..suppress import NOQA_RE, comments_by_line

    nb = json.loads(raw)
    changed = 0
    for cell in sorted({c for c, _ in codes}):
        entry = nb["cells"][cell - 1]
        src = entry.get("source", "")
        lines = ("".join(src) if isinstance(src, list) else str(src)).splitlines(keepends=True)
        comments = comments_by_line("".join(lines)) or {}
        for (c, lineno), new in sorted(codes.items()):
            if c != cell or lineno > len(lines):
                continue
            line = lines[lineno - 1]
            body, nl = (line[:-1], "\n") if line.endswith("\n") else (line, "")
            comment = comments.get(lineno, "")
            m = NOQA_RE.search(comment)
            if m and not m.group("codes"):
                continue  # a bare noqa already suppresses everything
            if m:
                have = set(re.split(r"[\s,]+", m.group("codes").strip()))
                at = body.rindex(comment)
                line = body[: at + m.start()] + f"# noqa: {', '.join(sorted(have | new))}" + body[at + m.end():] + nl
            else:
                line = f"{body}  # noqa: {', '.join(sorted(new))}{nl}"
            trial = lines[:]
            trial[lineno - 1] = line
            _set_source(entry, "".join(trial))
            try:
                ast.parse(_join(nb["cells"])[0])
            except SyntaxError:  # the line ends inside a string: a comment cannot go there
                _set_source(entry, "".join(lines))
                continue
            lines = trial
            changed += 1
    return (dumps_like(nb, raw) if changed else raw), changed
