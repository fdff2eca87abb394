"""``# noqa`` handling: ``# noqa`` / ``# noqa: TRT101,TRT102`` on a line, ``# trtlint: noqa`` for a whole file."""
from __future__ import annotations

import io
import re
import tokenize

NOQA_RE = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?", re.IGNORECASE)
FILE_NOQA_RE = re.compile(
    r"^\s*#\s*trtlint:\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?\s*$", re.IGNORECASE | re.MULTILINE
)


def _codes(text: str | None) -> frozenset[str] | None:
    """None means every code."""
    if not text:
        return None
    return frozenset(c.upper() for c in re.split(r"[\s,]+", text.strip()) if c)


def line_suppresses(line: str, code: str) -> bool:
    if "#" not in line:
        return False
    for m in NOQA_RE.finditer(line):
        codes = _codes(m.group("codes"))
        if codes is None or code in codes:
            return True
    return False


def file_suppressions(text: str) -> list[frozenset[str] | None]:
    """Each ``# trtlint: noqa`` directive in the file; None in the list means the whole file."""
    if "trtlint" not in text:
        return []
    return [_codes(m.group("codes")) for m in FILE_NOQA_RE.finditer(text)]


def file_suppresses(directives: list[frozenset[str] | None], code: str) -> bool:
    return any(d is None or code in d for d in directives)


def comments_by_line(text: str) -> dict[int, str] | None:
    """The comment text on each line, from the tokenizer (so a '# noqa' inside a string is not one).

    None when the file cannot be tokenized; callers then fall back to reading the raw line.
    """
    out: dict[int, str] = {}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.COMMENT:
                out[tok.start[0]] = tok.string
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return None
    return out
