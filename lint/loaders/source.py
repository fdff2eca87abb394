"""Read and parse one Python file without executing or importing it."""
from __future__ import annotations

import ast
import codecs
import io
import os
import stat
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

MAX_SOURCE_BYTES = 4 * 1024 * 1024
#: Parsing cost grows with the number of syntax nodes, not bytes: one MiB of ``0,0,0,...`` is half a million
#: nodes and ~500 MB of ``ast`` objects. Operators and separators bound the node count cheaply (counted in C
#: before parsing); torch's largest source file (common_methods_invocations.py, 1.3 MB) has 148,000 of them.
MAX_SOURCE_SEPARATORS = 300_000
SEPARATORS = b",()[]{}+-*/%=<>.:;\n@&|^~"

NOT_REGULAR = ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISDIR, "a directory"), (stat.S_ISCHR, "a character device"),
               (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def file_kind(mode: int) -> str:
    """What a non-regular file is ('a named pipe', ...), or '' for a regular file."""
    for test, what in NOT_REGULAR:
        if test(mode):
            return what
    return "" if stat.S_ISREG(mode) else "not a regular file"


def open_regular(path: str, display: str) -> int | Finding:
    """A read-only descriptor of ``path`` if it is a regular file. Opened non-blocking (a named pipe swapped
    in after discovery cannot hang the run) and checked with fstat before a byte is read."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        return UnreadablePath.at(display, f"cannot read {display}: {exc.strerror or exc}")
    try:
        kind = file_kind(os.fstat(fd).st_mode)
    except OSError as exc:
        os.close(fd)
        return UnreadablePath.at(display, f"cannot read {display}: {exc.strerror or exc}")
    if kind:
        os.close(fd)
        return UnreadablePath.at(display, f"{display} is {kind}, not a regular file; not read")
    return fd


def read_bytes(path: str, display: str, limit: int) -> bytes | Finding:
    fd = open_regular(path, display)
    if isinstance(fd, Finding):
        return fd
    try:
        with os.fdopen(fd, "rb") as fh:
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
    except SyntaxError as exc:
        if "invalid or missing encoding declaration" not in str(exc):
            # an unknown codec, or a BOM beside a cookie that is not utf-8: Python refuses to import the file
            return SyntaxErrorInSource.at(display, f"Python cannot read this file: {exc}",
                                          hint="declare a codec Python knows (PEP 263), or save the file as UTF-8")
        encoding = "utf-8"  # no usable coding cookie: Python reads UTF-8, so report where UTF-8 fails
    try:
        if not getattr(codecs.lookup(encoding), "_is_text_encoding", True):
            return SyntaxErrorInSource.at(display, f"Python cannot read this file: '{encoding}' is not a text "
                                          "encoding", hint="declare a text codec (PEP 263), or save the file as UTF-8")
        return data.decode(encoding)
    except (UnicodeError, LookupError) as exc:  # UnicodeError: codecs such as idna raise the base class
        start = getattr(exc, "start", 0)
        line = data[:start].count(b"\n") + 1
        col = start - (data.rfind(b"\n", 0, start) + 1) + 1
        reason = getattr(exc, "reason", None) or str(exc)
        return NotUtf8.at(display, f"not valid {encoding} (byte {start}: {reason}); Python cannot import it",
                          line=line, col=col, hint="re-save the file as UTF-8, or declare its encoding (PEP 263)")


def too_complex(data: bytes, display: str) -> Finding | None:
    n = len(data) - len(data.translate(None, SEPARATORS))
    if n <= MAX_SOURCE_SEPARATORS:
        return None
    return FileTooLarge.at(display, f"file has {n:,} operators and separators, more than the "
                           f"{MAX_SOURCE_SEPARATORS:,} trtlint parses in about a second; not linted",
                           hint="generated code and data belong in data files; exclude them from linting")


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
    big = too_complex(data, display)
    if big is not None:
        return big
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
    except MemoryError:
        return SyntaxErrorInSource.at(display, "Python's parser ran out of memory on this file; not linted")
    except RecursionError:
        return SyntaxErrorInSource.at(display, "Python cannot parse this file: it nests too deeply for the parser")
    except ValueError as exc:
        return SyntaxErrorInSource.at(display, f"Python cannot parse this file: {exc or type(exc).__name__}")
    return SourceFile(display, text, tree, target)
