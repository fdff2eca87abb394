"""Parent side: the child's records through the graph rules into findings (selection and noqa applied). Torch-free."""
from __future__ import annotations

import os
import re
import shutil
from collections import defaultdict
from typing import Any

from ..finding import Finding
from ..registry import all_rules
from ..runner import Runner
from .spec import GraphSpec


def findings_for(records: list[dict[str, Any]], spec: GraphSpec, runner: Runner) -> list[Finding]:
    from trtlint.rules.graph._base import GraphRule, Observations, display

    done = [r for r in records if r.get("type") == "done"]
    torch_version = str(done[-1].get("torch", "?")) if done else "?"
    fallback_file = spec.entry.path or next((str(r["file"]) for r in records if r.get("type") == "entry_file"), "")
    obs = Observations(records=records, spec=spec, torch=torch_version,
                       fallback=(display(fallback_file) if fallback_file else spec.entry.text, 1), target=runner.target)
    found: list[Finding] = []
    for code, cls in all_rules().items():
        if code in runner.enabled and issubclass(cls, GraphRule):
            found.extend(cls().check(obs))  # type: ignore[attr-defined]
    ort_ok = any(r.get("type") == "obs" and r.get("kind") == "onnx_checked" for r in records) and not any(
        r.get("type") == "obs" and r.get("kind") == "onnx_parity" for r in records)
    for rec in records:
        if rec.get("type") == "onnx_file":
            onnx_found = onnx_findings(str(rec["path"]), spec, runner, obs.fallback)
            if ort_ok and spec.dynamic:
                # TRT306 predicts that a dynamic axis pinned by a Reshape/Expand fails at other sizes; ONNX Runtime
                # just ran this export at the min and the max shapes and matched eager, which disproves it here
                onnx_found = [f for f in onnx_found if f.code != "TRT306"]
            found.extend(onnx_found)
    by_path: dict[str, list[Finding]] = defaultdict(list)
    for f in found:
        by_path[f.path].append(f)
    out: list[Finding] = []
    for path, group in by_path.items():
        try:
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
        except (OSError, UnicodeDecodeError):
            text = ""
        out.extend(runner._filter(group, path, text.splitlines(), text))
    return out





_FROM = re.compile(r" \[from ([^\]]+):(\d+)\]")


def _resolve(shown: str, spec: GraphSpec) -> str | None:
    """The file behind the ONNX loader's ``[from path:line]`` (relative, or relative to site-packages)."""
    if os.path.isfile(shown):
        return shown
    for root in spec.user_roots:
        for base in (root, os.path.dirname(root)):
            cand = os.path.join(base, shown)
            if os.path.isfile(cand):
                return cand
    return None


def onnx_findings(path: str, spec: GraphSpec, runner: Runner, fallback: tuple[str, int]) -> list[Finding]:
    """The ONNX rules over the child's export, each moved to the PyTorch line its node came from (the exporter's
    stack-trace metadata), else to the ENTRY file; the temporary export is removed afterwards."""
    from ..runner import onnx_available

    out: list[Finding] = []
    try:
        if not runner.onnx_rules or not onnx_available():
            return out
        from ..loaders.onnx import load_onnx
        from trtlint.rules.graph._base import display

        loaded = load_onnx(path, "exported.onnx", runner.target)
        if isinstance(loaded, Finding):
            return out
        found = list(loaded.load_findings)
        for rule in runner.onnx_rules:
            try:
                found.extend(rule.check(loaded))
            except Exception:  # an ONNX rule's bug must not hide the graph findings
                continue
        for f in found:
            m = _FROM.search(f.message)
            target = _resolve(m.group(1), spec) if m else None
            if m and target:
                out.append(f.with_(path=display(target), line=int(m.group(2)), col=1, end_line=None, end_col=None,
                                   message=f"exported ONNX: {f.message.replace(m.group(0), '')}"))
            else:
                out.append(f.with_(path=fallback[0], line=fallback[1], col=1, end_line=None, end_col=None,
                                   message=f"exported ONNX: {f.message}"))
    finally:
        folder = os.path.dirname(path)
        if os.path.basename(folder).startswith("trtlint-graph-onnx-"):
            shutil.rmtree(folder, ignore_errors=True)
    return out
