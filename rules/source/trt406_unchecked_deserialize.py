from __future__ import annotations

import ast
from typing import Iterator

from trtlint.finding import Finding, Severity
from trtlint.rule import SourceRule
from trtlint.source import SourceFile

from ._helpers import before, enclosing_function, scope_nodes
from ._trt_api import imports_tensorrt


class UncheckedDeserialize(SourceRule):
    """An engine from `deserialize_cuda_engine` (or a plan from `build_serialized_network`) used without a None check.

    ## What it does
    Flags `runtime.deserialize_cuda_engine(...)` and `builder.build_serialized_network(...)` whose result is used
    directly (`.create_execution_context()` on the call) or assigned to a name that no later `if`, `assert` or
    comparison in the same function tests.

    ## Why it matters for TensorRT
    Both return `None` instead of raising: a plan built by another TensorRT version or for another GPU, a
    corrupt file, or a failed build. The script then fails later with
    `'NoneType' object has no attribute 'create_execution_context'`, far from the cause, which TensorRT only
    printed to its logger.

    ## Example
    ```python
    engine = runtime.deserialize_cuda_engine(f.read())
    context = engine.create_execution_context()
    ```

    ## Use instead
    ```python
    engine = runtime.deserialize_cuda_engine(f.read())
    if engine is None:
        raise RuntimeError("engine does not match this TensorRT version or GPU; rebuild it")
    ```

    ## References
    - https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/python-api/infer/Core/Runtime.html
    """

    code = "TRT406"
    name = "unchecked-deserialize"
    severity = Severity.WARNING
    tags = ("tensorrt-api", "robustness")
    requires_text = ("deserialize_cuda_engine", "build_serialized_network")

    def check(self, src: SourceFile) -> Iterator[Finding]:
        if not imports_tensorrt(src):
            return
        for call in src.calls:
            fn = call.func
            if not (isinstance(fn, ast.Attribute) and fn.attr in ("deserialize_cuda_engine", "build_serialized_network")):
                continue
            nodes = scope_nodes(src, enclosing_function(src, call))
            assigned = next(
                (t.id for n in nodes if isinstance(n, ast.Assign) and n.value is call
                 for t in n.targets if isinstance(t, ast.Name)), None,
            )
            chained = any(isinstance(n, ast.Attribute) and n.value is call for n in nodes)
            if assigned is not None and not _checked(nodes, assigned, call):
                yield self._report(src, call, fn.attr, f"`{assigned}` is used without checking it for None")
            elif chained:
                yield self._report(src, call, fn.attr, "the result is used directly")

    def _report(self, src: SourceFile, call: ast.Call, api: str, what: str) -> Finding:
        return self.finding(
            f"`{api}` returns None on a version/GPU mismatch or failure, and {what}", src.path, *src.pos(call),
            hint="check `if engine is None: raise RuntimeError(...)` right after the call",
        )


def _checked(nodes: list[ast.AST], name: str, call: ast.Call) -> bool:
    for n in nodes:
        if isinstance(n, (ast.If, ast.Assert, ast.While, ast.IfExp)) and before(call, n):
            if any(isinstance(x, ast.Name) and x.id == name for x in ast.walk(n.test)):
                return True
        if isinstance(n, ast.Compare) and before(call, n):
            if any(isinstance(x, ast.Name) and x.id == name for x in ast.walk(n)):
                return True
    return False
