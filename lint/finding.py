"""The one data type that crosses every boundary: a finding, its severity, its location and its fix."""
from __future__ import annotations

import enum
from dataclasses import dataclass, replace


class Severity(str, enum.Enum):
    """How bad a finding is.

    ``error``: the export or build will fail, or silently produce a wrong engine.
    ``warning``: likely to hurt (performance, portability, a fragile export).
    ``note``: informational (deprecations, hints).
    """

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"

    @property
    def rank(self) -> int:
        return {"error": 0, "warning": 1, "note": 2}[self.value]


@dataclass(frozen=True)
class Edit:
    """Replace the text between two 1-based (line, column) positions; column is a character index."""

    line: int
    col: int
    end_line: int
    end_col: int
    text: str


@dataclass(frozen=True)
class Fix:
    description: str
    edits: tuple[Edit, ...]
    safe: bool = True


@dataclass(frozen=True)
class Finding:
    """One problem at one place. Lines and columns are 1-based; columns count characters."""

    code: str
    message: str
    path: str
    line: int = 1
    col: int = 1
    end_line: int | None = None
    end_col: int | None = None
    severity: Severity = Severity.ERROR
    name: str = ""
    hint: str = ""
    fix: Fix | None = None
    suppressed: str | None = None  # None, "noqa" or "file-noqa"
    source_line: str = ""
    cell: int | None = None  # notebooks: the 1-based cell number (line/column are then within that cell)

    def with_(self, **changes: object) -> "Finding":
        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def sort_key(self) -> tuple[str, int, int, int, str]:
        return (self.path, self.cell or 0, self.line, self.col, self.code)

    def to_dict(self) -> dict[str, object]:
        """The stable JSON shape (documented in README.md, 'JSON output')."""
        return {
            "code": self.code,
            "name": self.name,
            "severity": self.severity.value,
            "message": self.message,
            "hint": self.hint or None,
            "path": self.path,
            "line": self.line,
            "column": self.col,
            "end_line": self.end_line if self.end_line is not None else self.line,
            "end_column": self.end_col if self.end_col is not None else self.col,
            "fixable": self.fix is not None,
            "fix": None
            if self.fix is None
            else {
                "description": self.fix.description,
                "safe": self.fix.safe,
                "edits": [
                    {"line": e.line, "column": e.col, "end_line": e.end_line, "end_column": e.end_col, "text": e.text}
                    for e in self.fix.edits
                ],
            },
            "suppressed": self.suppressed,
            "cell": self.cell,
        }
