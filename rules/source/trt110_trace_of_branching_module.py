from __future__ import annotations

import ast
import os
from pathlib import Path
from typing import Iterator

from trtlint.finding import Finding, Severity
from trtlint.rule import SourceRule
from trtlint.source import SourceFile

from ._export import model_binding
from ._helpers import call_arg
from .trt101_data_dependent_control_flow import data_dependent_conditions

TRACERS = frozenset({"torch.jit.trace", "torch.jit.trace_module"})
SEARCH_UP = 4  # folders above the linted file searched for an absolute import's module


class TraceOfBranchingModule(SourceRule):
    """`torch.jit.trace` applied to a module whose `forward` branches on tensor values.

    ## What it does
    Follows the model passed to `torch.jit.trace` to the class it was built from (`Net()`, or a name bound to
    `Net(...)`, through `.eval()`/`.to()` chains), finds that class in the same file or in the file its import
    names (relative imports, and absolute ones under the linted file's folders; nothing is imported or run),
    and reports the trace when that class's `forward` has data-dependent control flow (see TRT101).

    ## Why it matters for TensorRT
    The trace, and the ONNX model and engine built from it, contain only the branch the example input took. The
    error surfaces at the trace call, far from the `if` that causes it; this rule connects the two.

    ## Example
    ```python
    from models.gate import Gate          # Gate.forward: if x.mean() > 0.5: ...
    traced = torch.jit.trace(Gate().eval(), x)
    ```

    ## Use instead
    `torch.jit.script(Gate().eval())`, or `torch.export.export` with `torch.cond` in `forward`, or rewrite the
    branch with `torch.where` and keep tracing.

    ## References
    - https://pytorch.org/docs/stable/generated/torch.jit.trace.html
    - TRT101 (data-dependent-control-flow)
    """

    code = "TRT110"
    name = "trace-of-branching-module"
    severity = Severity.ERROR
    tags = ("tracing", "control-flow")
    requires_text = ("trace",)

    def check(self, src: SourceFile) -> Iterator[Finding]:
        for call in src.calls:
            if not src.call_matches(call, TRACERS):
                continue
            model = call_arg(call, 0, "func", "mod")
            if model is None:
                continue
            built = model_binding(src, call, model)
            if not isinstance(built, ast.Call) or not isinstance(built.func, (ast.Name, ast.Attribute)):
                continue
            cls_name = built.func.id if isinstance(built.func, ast.Name) else built.func.attr
            found = _find_class(src, built.func, cls_name)
            if found is None:
                continue
            other, cls = found
            funcs = [f for f in other.forward_functions() if f.cls is cls or _method_of(f.node, cls)]
            hits = list(data_dependent_conditions(other, funcs))
            if not hits:
                continue
            _, _, cond = hits[0]
            where = "this file" if other is src else other.path
            more = f" (and {len(hits) - 1} more)" if len(hits) > 1 else ""
            yield self.finding(
                f"`torch.jit.trace` of `{cls_name}` keeps one branch: its forward branches on tensor values at "
                f"{where}:{other.pos(cond)[0]} (`{other.segment(cond)[:50]}`){more}",
                src.path, *src.pos(call.func),
                hint="torch.jit.script the module, export with torch.export + torch.cond, or use torch.where",
            )


def _method_of(fn: ast.AST, cls: ast.ClassDef) -> bool:
    return any(fn is n for n in cls.body)


def _find_class(src: SourceFile, func: ast.expr, name: str) -> tuple[SourceFile, ast.ClassDef] | None:
    for c in src.classes:
        if c.name == name and isinstance(func, ast.Name) and name not in src.imports:
            return src, c
    for qual in sorted(src.qualnames(func)):
        module, _, cls_name = qual.rpartition(".")
        if not module:
            continue
        for path in _module_files(src.path, module):
            other = _load(path)
            if other is None:
                continue
            for c in other.classes:
                if c.name == cls_name:
                    return other, c
    return None


def _module_files(importer: str, module: str) -> Iterator[str]:
    here = Path(os.path.abspath(importer)).parent
    level = len(module) - len(module.lstrip("."))
    parts = [p for p in module.lstrip(".").split(".") if p]
    bases = [here.parents[level - 2] if level >= 2 else here] if level else [here, *list(here.parents)[:SEARCH_UP]]
    for base in bases:
        for candidate in (base.joinpath(*parts).with_suffix(".py"), base.joinpath(*parts, "__init__.py")):
            if parts and candidate.is_file():
                yield str(candidate)


def _load(path: str) -> SourceFile | None:
    from trtlint.loaders.source import load_source
    from trtlint.runner import display_path

    loaded = load_source(path, display_path(Path(path)), None)
    return loaded if isinstance(loaded, SourceFile) else None
