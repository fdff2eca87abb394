from __future__ import annotations

import ast
from typing import Iterator

from trtlint.finding import Finding, Severity
from trtlint.rule import SourceRule
from trtlint.source import SourceFile

from ._helpers import before, enclosing_function, scope_nodes
from ._trt_api import imports_tensorrt, receiver_kind


class UncheckedDeserialize(SourceRule):
    """An engine from `deserialize_cuda_engine` (or a plan from `build_serialized_network`) used without a None check.

    ## What it does
    Flags `runtime.deserialize_cuda_engine(...)` whose result is used directly (`.create_execution_context()` on
    the call) or assigned to a name that no later `if`, `assert` or comparison in the same function tests, and
    `builder.build_serialized_network(...)` whose plan is returned from the function unchecked. A plan built and
    consumed in the same function (written to a file, or deserialized right there) is left alone: a None fails at
    once, next to the build errors TensorRT just logged. Engines deserialized from files, parameters or
    attributes are where the warning matters.

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
            if receiver_kind(src, fn.value) == "user":
                continue  # the user's own method of that name
            nodes = scope_nodes(src, enclosing_function(src, call))
            assigned = next(
                (t.id for n in nodes if isinstance(n, ast.Assign) and n.value is call
                 for t in n.targets if isinstance(t, ast.Name)), None,
            )
            returned = any(isinstance(n, ast.Return) and n.value is call for n in nodes)
            if fn.attr == "build_serialized_network":
                # a plan built here and consumed here fails at once, next to the build log: report only a plan
                # that leaves the function unchecked
                if assigned is not None and not _checked(nodes, assigned, call) and _returned(nodes, assigned, call) \
                        and not _consumed(nodes, assigned, call):
                    yield self._report(src, call, fn.attr, f"`{assigned}` is returned without checking it for None")
                elif returned:
                    yield self._report(src, call, fn.attr, "the result is returned without a check")
                continue
            if _fresh_plan(src, nodes, call):
                continue  # deserializing a plan built in this function: a None is seen at once, near its cause
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
            if any((isinstance(x, ast.Name) and x.id == name) or (isinstance(x, ast.Attribute) and x.attr == name)
                   for x in ast.walk(n.test)):
                return True
        if isinstance(n, ast.Compare) and before(call, n):
            if any(isinstance(x, ast.Name) and x.id == name for x in ast.walk(n)):
                return True
    return False


def _consumed(nodes: list[ast.AST], name: str, call: ast.Call) -> bool:
    """The plan is handed to a call (``f.write(plan)``, ``deserialize_cuda_engine(plan)``) in this function."""
    return any(isinstance(n, ast.Call) and n is not call and before(call, n)
               and any(isinstance(a, ast.Name) and a.id == name for a in n.args) for n in nodes)


def _returned(nodes: list[ast.AST], name: str, call: ast.Call) -> bool:
    return any(isinstance(n, ast.Return) and isinstance(n.value, ast.Name) and n.value.id == name and before(call, n)
               for n in nodes)


def _fresh_plan(src: SourceFile, nodes: list[ast.AST], call: ast.Call) -> bool:
    """The plan deserialized here was built by ``build_serialized_network`` in the same function."""
    arg = call.args[0] if call.args else None
    if isinstance(arg, ast.Call) and isinstance(arg.func, ast.Attribute) and arg.func.attr == "build_serialized_network":
        return True
    if not isinstance(arg, ast.Name):
        return False
    for n in nodes:
        if isinstance(n, ast.Assign) and before(n, call) and any(isinstance(t, ast.Name) and t.id == arg.id for t in n.targets):
            v = n.value
            if isinstance(v, ast.Call) and isinstance(v.func, ast.Attribute) and v.func.attr == "build_serialized_network":
                return True
    return False
