"""TensorRT Python API facts (deprecated/removed per release, from compat_matrix.yaml) for the build-script rules."""
from __future__ import annotations

import ast
from typing import Any

from trtlint.compat import Target, load_matrix, parse_version
from trtlint.finding import Severity
from trtlint.source import SourceFile


def imports_tensorrt(src: SourceFile) -> bool:
    return any(q == "tensorrt" or q.startswith("tensorrt.") for qs in src.imports.values() for q in qs)


def trt_alias(src: SourceFile) -> str:
    for name, quals in sorted(src.imports.items()):
        if "tensorrt" in quals:
            return name
    return "tensorrt"


def fact(name: str) -> dict[str, Any]:
    for entry in load_matrix().get("api", []):
        if entry["name"] == name:
            return entry
    raise KeyError(name)


def status(name: str, target: Target | None) -> tuple[Severity | None, str]:
    """Severity for using API ``name`` on ``target``: error once removed, warning once deprecated, else None."""
    f = fact(name)
    if target is None:
        return None, ""
    removed = parse_version(f["removed"]) if f.get("removed") else None
    deprecated = parse_version(f["deprecated"]) if f.get("deprecated") else None
    if removed is not None and target.trt >= removed:
        return Severity.ERROR, f"removed in TensorRT {f['removed']} (target {target.trt_str})"
    if deprecated is not None and target.trt >= deprecated:
        return Severity.WARNING, f"deprecated since TensorRT {f['deprecated']}, removed in {f['removed']}"
    return None, ""


def attribute_uses(src: SourceFile, attr: str) -> list[ast.Attribute]:
    return [n for n in ast.walk(src.tree) if isinstance(n, ast.Attribute) and n.attr == attr]
