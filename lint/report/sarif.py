"""``--output-format sarif``: SARIF 2.1.0 as GitHub code scanning ingests it.

One run; URIs relative to the repository root (``%SRCROOT%``); ``partialFingerprints.primaryLocationLineHash``
so alerts survive unrelated edits; every fired rule described from its docstring; suppressed findings kept
with a ``suppressions`` entry; keys sorted for stable output. No ``security-severity``: not a security tool.
"""
from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from pathlib import Path
from urllib.parse import quote

from .. import __version__
from ..finding import Finding
from ..registry import rule_class
from . import ReportContext
from .escape import unicode_only

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFO_URI = "https://github.com/trtlint/trtlint"


def repo_root(start: Path) -> Path:
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return start


def _file_uri(path: str) -> str:
    return "file://" + quote(os.fsencode(Path(path).as_posix()), safe="/")


def relative_uri(path: str, root: Path) -> str:
    """A URI reference for ``path``: relative to ``root`` where it lies below it, else a file URI. The bytes
    of the name are percent-encoded (RFC 3986), so spaces, '#', '%' and bytes that are not UTF-8 stay valid."""
    p = Path(path)
    absolute = p if p.is_absolute() else Path.cwd() / p
    try:
        rel = os.path.relpath(os.path.abspath(absolute), root)
    except ValueError:
        return _file_uri(os.path.abspath(absolute))
    if rel.startswith(".."):
        return _file_uri(os.path.abspath(absolute))
    return quote(os.fsencode(Path(rel).as_posix()), safe="/")


def _rule_descriptor(code: str) -> dict[str, object]:
    cls = rule_class(code)
    assert cls is not None, code  # every finding's code names a registered rule
    doc = cls.doc()
    what = doc.sections.get("What it does", doc.summary)
    return {
        "id": code,
        "name": "".join(part.capitalize() for part in cls.name.split("-")),
        "shortDescription": {"text": doc.summary},
        "fullDescription": {"text": what.strip()},
        "help": {"text": doc.text(code, cls.name), "markdown": doc.markdown(code, cls.name)},
        "helpUri": f"{INFO_URI}/blob/main/docs/rules.md#{code.lower()}-{cls.name}",
        "defaultConfiguration": {"level": cls.severity.value},
        "properties": {
            "tags": list(dict.fromkeys(["tensorrt", "deployability", cls.layer, *cls.tags])),  # unique, in order
            "precision": cls.precision,
        },
    }


def _fingerprint(f: Finding, counter: Counter[str]) -> str:
    basis = f"{f.code}\0{f.path}\0{' '.join(f.source_line.split()) or f.message}"
    digest = hashlib.sha256(basis.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    counter[digest] += 1
    return f"{digest}:{counter[digest]}"


def render(findings: list[Finding], ctx: ReportContext) -> str:
    root = repo_root(ctx.root)
    fired = sorted({f.code for f in findings})
    index = {code: i for i, code in enumerate(fired)}
    seen: Counter[str] = Counter()
    results = []
    for f in findings:
        region: dict[str, int] = {"startLine": max(1, f.line), "startColumn": max(1, f.col)}
        if f.end_line:
            region["endLine"] = max(f.end_line, region["startLine"])
        if f.end_col and f.end_line is not None:
            end_col = f.end_col if (f.end_line != f.line or f.end_col > f.col) else f.col + 1
            region["endColumn"] = end_col
        text = f.message + (f" Fix: {f.hint}" if f.hint else "")
        result: dict[str, object] = {
            "ruleId": f.code,
            "ruleIndex": index[f.code],
            "level": f.severity.value,
            "message": {"text": unicode_only(text)},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": relative_uri(f.path, root), "uriBaseId": "%SRCROOT%"},
                        "region": region,
                    }
                }
            ],
            "partialFingerprints": {"primaryLocationLineHash": _fingerprint(f, seen)},
        }
        if f.cell is not None:  # notebooks: the region is within this cell (1-based, as in `cells`)
            result["properties"] = {"cell": f.cell}
        if f.suppressed:
            result["suppressions"] = [
                {"kind": "inSource", "justification": "# trtlint: noqa" if f.suppressed == "file-noqa" else "# noqa"}
            ]
        results.append(result)
    doc = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "trtlint",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": INFO_URI,
                        "rules": [_rule_descriptor(c) for c in fired],
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"uri": _file_uri(str(root)).rstrip("/") + "/"}},
                "columnKind": "unicodeCodePoints",
                "results": results,
                "properties": {"target": unicode_only(ctx.target), "files": ctx.files},
            }
        ],
    }
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"
