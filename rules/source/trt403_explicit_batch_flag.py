from __future__ import annotations

import ast
from typing import Iterator

from trtlint.finding import Edit, Finding, Fix, Severity
from trtlint.rule import SourceRule
from trtlint.source import SourceFile

from ._trt_api import attribute_uses, imports_tensorrt, status, version_guarded


class ExplicitBatchFlag(SourceRule):
    """`NetworkDefinitionCreationFlag.EXPLICIT_BATCH`: ignored from TensorRT 10.0 and gone in 11.0.

    ## What it does
    For targets from TensorRT 10.0, flags `EXPLICIT_BATCH` (a warning: it is ignored; an error from 11.0,
    where it no longer exists). When it appears in the argument of `create_network(...)`, the fix replaces that
    argument with `0`. Older targets need the flag for ONNX models, and are left alone, as is a branch that
    tests the TensorRT version (code written for both generations).

    ## Why it matters for TensorRT
    From 10.0 every network is explicit-batch and the flag is dead code that hides which API generation the
    script targets; from 11.0 the attribute lookup raises `AttributeError`.

    ## Example
    ```python
    network = builder.create_network(1 << int(trt.NetworkDefinitionCreationFlag.EXPLICIT_BATCH))
    ```

    ## Use instead
    ```python
    network = builder.create_network(0)
    ```

    ## References
    - https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/python-api/infer/Graph/Network.html
    - TensorRT 10.0 release notes, via compat_matrix.yaml
    """

    code = "TRT403"
    name = "explicit-batch-flag"
    severity = Severity.WARNING
    target_aware = True
    fixable = True
    tags = ("tensorrt-api",)
    requires_text = ("EXPLICIT_BATCH",)

    def check(self, src: SourceFile) -> Iterator[Finding]:
        if not imports_tensorrt(src):
            return
        severity, why = status("EXPLICIT_BATCH", src.target)
        if severity is None:
            return
        severity = Severity.ERROR if severity is Severity.ERROR else Severity.WARNING
        args = {}
        for call in src.calls:
            if isinstance(call.func, ast.Attribute) and call.func.attr == "create_network" and len(call.args) == 1:
                for n in ast.walk(call.args[0]):
                    args[id(n)] = call.args[0]
        for attr in attribute_uses(src, "EXPLICIT_BATCH"):
            if version_guarded(src, attr):
                continue
            fix = None
            arg = args.get(id(attr))
            if arg is not None:
                fix = Fix("pass 0 to create_network (explicit batch is the only mode)", (Edit(*src.pos(arg), "0"),))
            yield self.finding(
                f"`EXPLICIT_BATCH` is {why.replace('deprecated since', 'ignored from')}", src.path, *src.pos(attr),
                severity=severity, hint="builder.create_network(0): every network is explicit-batch", fix=fix,
            )
