"""Make other people's text inert before it is printed.

File names, ONNX node/output/domain names and exporter stack traces come from the linted input. Printed raw,
a newline in them starts a new line that a GitHub Actions runner may read as a workflow command
(``::add-mask::``, ``::stop-commands::``), and ESC/OSC/C1 sequences or bidi overrides act on the terminal.
Every text format passes its strings through :func:`inert`; JSON and SARIF through :func:`unicode_only`.
"""
from __future__ import annotations

import re

# C0 controls, DEL, C1 controls, line/paragraph separators, bidi marks, embeddings, overrides and isolates,
# and lone surrogates (undecodable bytes of a file name, kept by surrogateescape).
# Compiled on first use (re caches them): the two classes take ~4 ms to compile, and most runs print only
# printable text, which never reaches them.
_UNSAFE = "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
_SURROGATE = "[\ud800-\udfff]"
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(m: re.Match[str]) -> str:
    c = m.group(0)
    if c in _NAMED:
        return _NAMED[c]
    n = ord(c)
    if 0xDC80 <= n <= 0xDCFF:  # a byte that was not UTF-8 (os.fsdecode's surrogateescape)
        return f"\\x{n - 0xDC00:02x}"
    return f"\\x{n:02x}" if n < 0x100 else f"\\u{n:04x}"


def inert(text: str) -> str:
    """``text`` with every control, separator, bidi and surrogate character as a visible escape, and the
    legacy ``##[`` command prefix broken: one printable line that cannot steer a terminal or a CI runner."""
    if text.isprintable() and "##[" not in text:
        return text
    return re.sub(_UNSAFE, _escape, text).replace("##[", "##\\[")


def unicode_only(text: str) -> str:
    """``text`` encodable as UTF-8: lone surrogates become visible escapes (JSON and SARIF must be valid
    Unicode for any file name); everything else is left to the JSON encoder."""
    if text.isprintable():  # surrogates are not printable
        return text
    return re.sub(_SURROGATE, _escape, text) if re.search(_SURROGATE, text) else text


def safe_line_start(line: str) -> str:
    """A line that a GitHub runner cannot take for a workflow command (it trims leading blanks first)."""
    return "./" + line if line.lstrip().startswith(("::", "##[")) else line
