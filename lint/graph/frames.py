"""Which stack frames are the user's: inside the ENTRY's folder or package, not torch's, not trtlint's. Torch-free."""
from __future__ import annotations

import os
import sys
import traceback
from typing import Any, Iterable

_HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the trtlint package


def _torch_dir() -> str:
    torch = sys.modules.get("torch")
    f = getattr(torch, "__file__", None) if torch is not None else None
    return os.path.dirname(os.path.abspath(f)) if f else "\0"


def is_user_file(filename: str, roots: Iterable[str]) -> bool:
    if not filename or filename.startswith("<"):
        return False
    path = os.path.abspath(filename)
    if path.startswith(_HERE + os.sep) or path.startswith(_torch_dir() + os.sep):
        return False
    return any(path == r or path.startswith(r.rstrip(os.sep) + os.sep) for r in roots)


def user_frames(roots: Iterable[str], limit: int | None = None) -> list[tuple[str, int, str]]:
    """The current stack's user frames, outermost first: (filename, lineno, function)."""
    roots = list(roots)
    return [(f.filename, f.lineno or 0, f.name) for f in traceback.extract_stack(limit=limit)
            if is_user_file(f.filename, roots)]


def innermost_user_frame(roots: Iterable[str]) -> tuple[str, int, str] | None:
    frames = user_frames(roots)
    return frames[-1] if frames else None


class UserError(Exception):
    """A failure of the user's model, factory or settings: its message is the one line the parent prints."""

    def __init__(self, message: str, kind: str = "user") -> None:
        super().__init__(message)
        self.kind = kind


def user_location(tb: Any, roots: list[str]) -> str:
    """``file:line`` of the innermost frame of ``tb`` inside the user's folders, or ''."""
    where = ""
    for fs in traceback.extract_tb(tb):
        if is_user_file(fs.filename, roots):
            where = f"{os.path.relpath(fs.filename)}:{fs.lineno}"
    return where
