"""Shared by the fuzz harnesses: run trtlint on one input and turn every sign of a bug into an exception.

A finding is fine, whatever it says; what counts as a crash: an exception escaping trtlint, an internal error
(TRT900, which the runner makes of an exception inside a rule or loader), or a report that is not inert (a raw
control character, or a line a GitHub runner could take for a workflow command) or not valid JSON/SARIF.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from trtlint.compat import Target
from trtlint.config import Config
from trtlint.registry import all_rules
from trtlint.report import ReportContext, get_reporter
from trtlint.runner import Input, Result, Runner

UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
WORKFLOW = re.compile(r"^\s*(::|##\[)")

_RUNNERS: dict[str, Runner] = {}


class FuzzFailure(AssertionError):
    pass


def preload(kind: str) -> None:
    """Import everything one lint of ``kind`` needs (rules, loaders, reporters) before fuzzing starts."""
    import importlib

    all_rules()
    for name in ("trtlint.loaders.source", "trtlint.report.text", "trtlint.report.github", "trtlint.report.sarif",
                 "trtlint.report.json_report", *(["trtlint.loaders.onnx"] if kind == "onnx" else [])):
        importlib.import_module(name)


def instrument_trtlint() -> int:
    """Instrument every function and method of the loaded trtlint modules for coverage (atheris'
    instrument_imports misses an editable install, and instrument_all takes minutes on numpy/onnx/protobuf).
    Returns how many functions were instrumented."""
    import inspect
    import sys

    import atheris

    done: set[int] = set()

    def one(fn: object) -> None:
        if inspect.isfunction(fn) and id(fn.__code__) not in done:
            done.add(id(fn.__code__))
            atheris.instrument_func(fn)

    for name, mod in list(sys.modules.items()):
        if not name.startswith("trtlint") or mod is None:
            continue
        for obj in list(vars(mod).values()):
            if inspect.isfunction(obj) and obj.__module__ == name:
                one(obj)
            elif inspect.isclass(obj) and obj.__module__ == name:
                for attr in vars(obj).values():
                    for fn in (attr, getattr(attr, "__func__", None), getattr(attr, "fget", None),
                               getattr(attr, "func", None)):
                        one(fn)
    return len(done)


def runner(target: str = "trt10.8") -> Runner:
    if target not in _RUNNERS:
        _RUNNERS[target] = Runner(Config(), Target.parse(target), set(all_rules()))
    return _RUNNERS[target]


def check_one(path: Path, kind: str, target: str = "trt10.8") -> list:
    """Lint one file; raise FuzzFailure on an internal error or a report that is not inert."""
    result = Result()
    found = runner(target).lint_isolated(Input(str(path), path.name, kind, explicit=True), result)
    internal = [f for f in found if f.code == "TRT900"]
    if internal:
        raise FuzzFailure(f"{internal[0].message}\n" + "\n".join(result.debug_tracebacks))
    ctx = ReportContext(files=1, target="TensorRT 10.8", root=path.parent)
    for fmt in ("full", "concise", "github"):
        text = get_reporter(fmt)(found, ctx)
        for line in text.splitlines():
            if UNSAFE.search(line):
                raise FuzzFailure(f"{fmt}: raw control character in {line!r}")
            if WORKFLOW.match(line) and not (fmt == "github" and re.match(r"^::(error|warning|notice) ", line)):
                raise FuzzFailure(f"{fmt}: line could start a workflow command: {line!r}")
    for fmt in ("json", "sarif"):
        text = get_reporter(fmt)(found, ctx)
        text.encode("utf-8")  # strict
        json.loads(text)
    return found
