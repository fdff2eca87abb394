"""Read and parse one Python file without executing or importing it."""
from __future__ import annotations

import ast
import io
import tokenize
import warnings

from ..compat import Target
from ..finding import Finding
from ..rules.tool.trt901_syntax_error import SyntaxErrorInSource
from ..rules.tool.trt902_not_utf8 import NotUtf8
from ..rules.tool.trt903_binary_file import BinaryFile
from ..rules.tool.trt904_file_too_large import FileTooLarge
from ..rules.tool.trt905_unreadable_path import UnreadablePath
from ..source import SourceFile

MAX_SOURCE_BYTES = 10 * 1024 * 1024


def read_bytes(path: str, display: str, limit: int) -> bytes | Finding:
    try:
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        return UnreadablePath.at(display, f"cannot read {display}: {exc.strerror or exc}")
    if len(data) > limit:
        return FileTooLarge.at(display, f"file is larger than {limit // (1024 * 1024)} MiB; not linted")
    return data


def decode(data: bytes, display: str) -> str | Finding:
    if b"\0" in data:
        return BinaryFile.at(display, "file holds binary data (NUL bytes), not Python source; not linted")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError:
        encoding = "utf-8"  # no usable coding cookie: Python reads UTF-8, so report where UTF-8 fails
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        start = getattr(exc, "start", 0)
        line = data[:start].count(b"\n") + 1
        col = start - (data.rfind(b"\n", 0, start) + 1) + 1
        reason = getattr(exc, "reason", str(exc))
        return NotUtf8.at(display, f"not valid {encoding} (byte {start}: {reason}); Python cannot import it",
                          line=line, col=col, hint="re-save the file as UTF-8, or declare its encoding (PEP 263)")


def load_source(path: str, display: str, target: Target | None) -> SourceFile | Finding:
    data = read_bytes(path, display, MAX_SOURCE_BYTES)
    if isinstance(data, Finding):
        return data
    return parse_source(data, display, target)


def parse_source(data: bytes, display: str, target: Target | None) -> SourceFile | Finding:
    """Decode and parse Python source already in memory (a file's bytes, standard input, an editor buffer)."""
    if len(data) > MAX_SOURCE_BYTES:
        return FileTooLarge.at(display, f"file is larger than {MAX_SOURCE_BYTES // (1024 * 1024)} MiB; not linted")
    text = decode(data, display)
    if isinstance(text, Finding):
        return text
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences and the like are not our business
            tree = ast.parse(text, filename=display)
    except SyntaxError as exc:
        return SyntaxErrorInSource.at(
            display, f"Python cannot parse this file: {exc.msg}", line=exc.lineno or 1, col=exc.offset or 1
        )
    except (ValueError, RecursionError, MemoryError) as exc:
        return SyntaxErrorInSource.at(display, f"Python cannot parse this file: {exc}")
    return SourceFile(display, text, tree, target)
