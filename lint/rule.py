"""Base classes for rules. A rule is a small class: code, name, severity, docstring; it yields findings."""
from __future__ import annotations

import inspect
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Iterable, Iterator

from .finding import Finding, Fix, Severity

if TYPE_CHECKING:
    pass

CODE_RE = re.compile(r"^TRT\d{3}$")
NAME_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
DOC_SECTIONS = ("What it does", "Why it matters for TensorRT", "Example", "Use instead", "References")
LAYERS = ("source", "graph", "onnx", "verify", "tool")


@dataclass(frozen=True)
class RuleDoc:
    summary: str
    sections: dict[str, str]

    def markdown(self, code: str, name: str) -> str:
        parts = [f"# {code} ({name})", "", self.summary, ""]
        for title, body in self.sections.items():
            parts += [f"## {title}", body.strip(), ""]
        return "\n".join(parts).rstrip() + "\n"

    def text(self, code: str, name: str) -> str:
        parts = [f"{code} {name}", "", self.summary, ""]
        for title, body in self.sections.items():
            parts += [f"{title}:", *("    " + ln if ln else "" for ln in body.strip().splitlines()), ""]
        return "\n".join(parts).rstrip() + "\n"


def parse_doc(doc: str) -> RuleDoc:
    """Split a rule docstring into its summary line and the fixed ``## Section`` blocks."""
    text = inspect.cleandoc(doc or "")
    lines = text.splitlines()
    summary = lines[0].strip() if lines else ""
    sections: dict[str, str] = {}
    current: str | None = None
    buf: list[str] = []
    for ln in lines[1:]:
        m = re.match(r"^##\s+(.+?)\s*$", ln)
        if m:
            if current is not None:
                sections[current] = "\n".join(buf).strip()
            current, buf = m.group(1), []
        elif current is not None:
            buf.append(ln)
    if current is not None:
        sections[current] = "\n".join(buf).strip()
    return RuleDoc(summary=summary, sections=sections)


class Rule:
    """Base of every rule. Subclasses set the class attributes and implement ``check``."""

    code: ClassVar[str] = ""
    name: ClassVar[str] = ""
    severity: ClassVar[Severity] = Severity.ERROR
    layer: ClassVar[str] = "source"
    tags: ClassVar[tuple[str, ...]] = ()
    precision: ClassVar[str] = "high"  # SARIF: very-high | high | medium | low
    fixable: ClassVar[bool] = False
    #: True where severity or message depends on ``--target``.
    target_aware: ClassVar[bool] = False

    @classmethod
    def doc(cls) -> RuleDoc:
        return parse_doc(cls.__doc__ or "")

    @classmethod
    def validate(cls) -> list[str]:
        """Problems with the rule's own declaration (used by the registry and the docs test)."""
        problems = []
        if not CODE_RE.match(cls.code):
            problems.append(f"{cls.__name__}: code {cls.code!r} is not TRT plus three digits")
        if not NAME_RE.match(cls.name):
            problems.append(f"{cls.__name__}: name {cls.name!r} is not kebab-case")
        if cls.layer not in LAYERS:
            problems.append(f"{cls.__name__}: layer {cls.layer!r} not one of {LAYERS}")
        doc = cls.doc()
        missing = [s for s in DOC_SECTIONS if s not in doc.sections]
        if missing:
            problems.append(f"{cls.code}: docstring lacks sections {missing}")
        return problems

    def finding(
        self,
        message: str,
        path: str,
        line: int,
        col: int,
        end_line: int | None = None,
        end_col: int | None = None,
        *,
        hint: str = "",
        fix: Fix | None = None,
        severity: Severity | None = None,
    ) -> Finding:
        return Finding(
            code=self.code,
            name=self.name,
            severity=severity or self.severity,
            message=message,
            path=path,
            line=line,
            col=col,
            end_line=end_line,
            end_col=end_col,
            hint=hint,
            fix=fix,
        )


class SourceRule(Rule):
    """A rule over one Python source file, read through the shared :class:`~trtlint.source.SourceFile` index."""

    layer = "source"
    #: pre-screens the runner applies before ``check`` (a file that fails one is skipped): text that must occur in
    #: the file (any of them), and dotted names it must be able to refer to (any of them; see ``runner.may_name``)
    requires_text: ClassVar[tuple[str, ...]] = ()
    requires_names: ClassVar[tuple[str, ...]] = ()
    #: True for the rules that judge model code a static reading cannot prove is exported: their errors and warnings
    #: are reported as notes unless ``[tool.trtlint] models`` reaches the finding (``analysis.declared``)
    needs_declared_export: ClassVar[bool] = False

    def check(self, src: Any) -> Iterable[Finding]:  # src: trtlint.source.SourceFile
        raise NotImplementedError


class OnnxRule(Rule):
    """A rule over one ONNX model, read without its external weights (:class:`~trtlint.loaders.onnx.OnnxModel`)."""

    layer = "onnx"

    def check(self, model: Any) -> Iterable[Finding]:
        raise NotImplementedError


class ToolRule(Rule):
    """The tool's own diagnostics (TRT9xx): never run as checks, only documented and selectable."""

    layer = "tool"

    def check(self, _: Any) -> Iterator[Finding]:
        return iter(())
