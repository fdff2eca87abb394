"""Shared base of the verify rules: the run's records in, findings out (at the user's line where one is known)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Iterator

from trtlint.finding import Finding, Severity
from trtlint.rule import Rule


from trtlint.rules.graph._base import display  # noqa: E402,F401  one helper for both run layers


@dataclass
class VerifyRun:
    """Records of one ``trtlint verify`` run; ``fallback`` is where findings without a source line go (the ONNX
    file, or the model's ``forward`` in the ENTRY file)."""

    records: list[dict[str, Any]]
    fallback: tuple[str, int]

    def of(self, type_: str) -> Iterator[dict[str, Any]]:
        return (r for r in self.records if r.get("type") == type_)

    def where(self, rec: dict[str, Any]) -> tuple[str, int]:
        if rec.get("file") and rec.get("line"):
            return display(str(rec["file"])), int(rec["line"])
        return self.fallback


class VerifyRule(Rule):
    layer = "verify"
    tags = ("verify",)

    def check(self, run: VerifyRun) -> Iterable[Finding]:
        raise NotImplementedError

    def at(self, run: VerifyRun, rec: dict[str, Any], message: str, hint: str = "",
           severity: Severity | None = None) -> Finding:
        path, line = run.where(rec)
        return self.finding(message, path, line, 1, hint=hint, severity=severity)


def num(v: Any, spec: str = ".3g") -> str:
    return "inf" if v is None else format(float(v), spec)


def parity_numbers(r: dict[str, Any]) -> str:
    parts = [f"max abs {num(r.get('max_abs'))}", f"max rel {num(r.get('max_rel'))}"]
    if r.get("cosine") is not None:
        parts.append(f"cosine {float(r['cosine']):.6f}")
    if r.get("top1") is not None:
        parts.append(f"top-1 agreement {float(r['top1']):.1%}")
    if r.get("nan"):
        parts.append(f"{r['nan']} new NaN")
    if r.get("inf"):
        parts.append(f"{r['inf']} new Inf")
    return ", ".join(parts)
